/** Drift records and detect_model_drift on embedded PGlite (tests/drift/verdict.suite.ts). */
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { driftVerdictSuite } from './verdict.suite.ts';

driftVerdictSuite('embedded (PGlite)', async () => {
  const db = await PgliteSqlClient.open();
  return { db, dropSchemas: async () => {}, close: () => db.close() };
});
