/**
 * The Supabase transport against a fake Realtime fed by a real embedded store (PGlite in memory):
 * see supabase-cases.ts for the cases; this file needs no Postgres server.
 */
import { memoryStore } from '../helpers/pg.ts';
import { supabaseTransportCases } from './supabase-cases.ts';

supabaseTransportCases('embedded store', async () => {
  const store = await memoryStore('public');
  return { store, schema: 'public', close: () => store.close() };
});
