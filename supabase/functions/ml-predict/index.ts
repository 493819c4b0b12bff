// Deployed with `supabase functions deploy ml-predict`; the handler verifies the caller's JWT itself (_shared/auth.ts), whatever verify_jwt says.
import { envFromDeno } from '../_shared/http.ts';
import { handler } from './handler.ts';

Deno.serve((req) => handler(req, envFromDeno()));
