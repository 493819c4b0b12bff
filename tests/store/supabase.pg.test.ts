/** The Store contract on the Supabase REST store: supabase-js → fake PostgREST → server Postgres. */
import { describe } from 'vitest';
import { serverPostgres } from '../helpers/pg.ts';
import { storeContract } from './contract.ts';
import { serverTarget } from './supabase-target.ts';

const pg = await serverPostgres();

describe.runIf(pg.available)('server Postgres', () => {
  storeContract('supabase REST (fake PostgREST → server Postgres)', async () => {
    const t = await serverTarget(pg.url);
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
});
