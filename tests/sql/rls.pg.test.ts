/** RLS and grants per role on server Postgres, in a fresh schema of the test database. */
import { describe } from 'vitest';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger } from '../helpers/pg.ts';
import { rlsSuite } from './rls.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  rlsSuite('postgres (pg pool)', async () => {
    const db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 2 });
    return {
      db,
      async dropSchemas(schemas) {
        for (const s of schemas) await db.exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
      },
      close: () => db.close(),
    };
  });
});
