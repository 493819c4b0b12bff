/** RLS and grants per role on embedded PGlite (which has roles and RLS like any Postgres). */
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { rlsSuite } from './rls.suite.ts';

rlsSuite('embedded (PGlite)', async () => {
  const db = await PgliteSqlClient.open();
  return { db, dropSchemas: async () => {}, close: () => db.close() };
});
