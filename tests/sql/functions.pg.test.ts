/** SQL functions on server Postgres, in a fresh schema of the test database. */
import { describe } from 'vitest';
import { serverPostgres, serverSqlHarness } from '../helpers/pg.ts';
import { sqlFunctionSuite } from './functions.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  sqlFunctionSuite('postgres (pg pool)', async () => serverSqlHarness(server.url));
});
