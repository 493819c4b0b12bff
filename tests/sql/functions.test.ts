/** SQL functions on embedded PGlite, and the realtime publication (PGlite: a database of its own). */
import { describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { uniqueSchema } from '../helpers/pg.ts';
import { sqlFunctionSuite } from './functions.suite.ts';

sqlFunctionSuite('embedded (PGlite)', async () => {
  const db = await PgliteSqlClient.open();
  return { db, dropSchemas: async () => {}, close: () => db.close() };
});

describe('realtime publication', () => {
  // Only where supabase_realtime exists (Supabase creates it). The server Postgres of the tests is
  // shared, so a publication is created only in a private PGlite database.
  it('adds predictions, models, weights and drift to supabase_realtime when it exists, and is harmless otherwise', async () => {
    const db = await PgliteSqlClient.open();
    try {
      const without = uniqueSchema('sbt_rt');
      await migrate(db, { schema: without });
      expect((await db.query('SELECT count(*)::int AS n FROM pg_publication')).rows[0]).toEqual({ n: 0 });

      await db.exec('CREATE PUBLICATION supabase_realtime');
      const withPub = uniqueSchema('sbt_rt');
      await migrate(db, { schema: withPub });
      const { rows } = await db.query<{ schemaname: string; tablename: string }>(
        `SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = 'supabase_realtime' ORDER BY tablename`,
      );
      expect(rows).toEqual(
        ['ml_indicator_weights', 'ml_model_drift', 'ml_models', 'ml_predictions'].map((tablename) => ({ schemaname: withPub, tablename })),
      );
    } finally {
      await db.close();
    }
  });
});
