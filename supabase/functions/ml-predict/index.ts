// Deployed with `supabase functions deploy ml-predict`; the platform verifies the caller's JWT.
import { envFromDeno } from '../_shared/http.ts';
import { handler } from './handler.ts';

Deno.serve((req) => handler(req, envFromDeno()));
