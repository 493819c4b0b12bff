/** RLS and grants per role on server Postgres, in a fresh schema of the test database. */
import { describe } from 'vitest';
import { serverPostgres, serverSqlHarness } from '../helpers/pg.ts';
import { rlsSuite } from './rls.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  rlsSuite('postgres (pg pool)', async () => serverSqlHarness(server.url));
});
