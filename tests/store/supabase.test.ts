/** The Store contract on the Supabase REST store: supabase-js → fake PostgREST → embedded PGlite. */
import { storeContract } from './contract.ts';
import { pgliteTarget } from './supabase-target.ts';

storeContract('supabase REST (fake PostgREST → PGlite)', async () => {
  const t = await pgliteTarget();
  const store = await t.open();
  return {
    store,
    kind: 'supabase',
    sql: t.db,
    async close() {
      await store.close();
      await t.close();
    },
  };
});
