/** get_signal_scorecard on embedded PGlite. */
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { scorecardSuite } from './scorecard.suite.ts';

scorecardSuite('embedded (PGlite)', async () => {
  const db = await PgliteSqlClient.open();
  return { db, dropSchemas: async () => {}, close: () => db.close() };
});
