/** Drift records and detect_model_drift on server Postgres (tests/drift/verdict.suite.ts). */
import { describe } from 'vitest';
import { serverPostgres, serverSqlHarness } from '../helpers/pg.ts';
import { driftVerdictSuite } from './verdict.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  driftVerdictSuite('postgres (pg pool)', async () => serverSqlHarness(server.url));
});
