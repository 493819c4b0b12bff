/**
 * The Supabase transport's catch-up on server Postgres, in a schema of its own: the broadcast
 * trigger, the compatibility realtime.messages every schema shares, and its policies are the real
 * ones of the shared database. Cases: catch-up-cases.ts.
 */
import { describe } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig } from '../helpers/pg.ts';
import { catchUpCases } from './catch-up-cases.ts';

const pg = await serverPostgres();

describe.runIf(pg.available)('on server Postgres', () => {
  catchUpCases('server Postgres', async () => {
    const ts = createTestSchema('sbcu');
    // Every pooled session keeps broadcasts (libpq's options, which node-postgres passes on).
    const url = new URL(pg.url);
    url.searchParams.set('options', '-c signalbase.capture_broadcasts=on');
    const store = (await openStore(testConfig({ DATABASE_URL: url.toString(), SIGNALBASE_SCHEMA: ts.schema }), silentLogger(), { migrate: true })) as SqlStore;
    return {
      store,
      schema: ts.schema,
      close: async () => {
        await store.client.query(`DELETE FROM realtime.messages WHERE payload->>'schema' = $1`, [ts.schema]);
        await store.close();
        await ts.drop();
      },
    };
  });
});
