/**
 * PREDICTION_RETENTION_DAYS in the daemon (src/daemon/retention.ts startHistoryRetention) on a
 * real embedded store (PGlite, the migrations' partitioned ml_predictions): only the leader prunes,
 * by data time behind the newest candle, in bounded steps; every run keeps the months' partitions
 * ready, retention or not.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHistoryRetention } from '../../src/daemon/retention.ts';
import { SoleLeadership } from '../../src/store/leadership.ts';
import { checkServerVersion, migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import { silentLogger } from '../helpers/pg.ts';

const DAY = 86_400_000;
// Data time of a replay long ago: retention counts back from the newest candle, not from now.
const NEWEST = Date.UTC(2018, 5, 30);

describe('history retention (embedded store)', () => {
  let client: PgliteSqlClient;
  let store: SqlStore;
  const count = async (where = 'true') => (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM ml_predictions WHERE ${where}`)).rows[0]!.n;

  beforeAll(async () => {
    client = await PgliteSqlClient.open();
    await migrate(client, { schema: 'public' });
    store = new SqlStore(client, { schema: 'public', leadership: new SoleLeadership(), serverVersion: await checkServerVersion(client) });
    // 90 days up to NEWEST, one signal an hour: lands in the default partition (no 2018 months yet).
    await client.query(`INSERT INTO ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
      SELECT 'v1', 'LTC/BTC', '1h', to_timestamp($1 / 1000.0) - i * interval '1 hour', '{}', 'BUY', 0.5, 1 FROM generate_series(0, 2159) i`, [NEWEST]);
  });
  afterAll(() => client?.close());

  it('does nothing on a follower', async () => {
    const r = startHistoryRetention({ store, keepMs: 30 * DAY, newest: () => NEWEST, isLeader: () => false, log: silentLogger(), firstAfterMs: 3_600_000 });
    await r.runOnce();
    r.stop();
    expect(await count()).toBe(2160);
  });

  it('keeps every row with a retention of 0, but makes the months of the rows and the newest candle', async () => {
    const r = startHistoryRetention({ store, keepMs: 0, newest: () => NEWEST, isLeader: () => true, log: silentLogger(), firstAfterMs: 3_600_000 });
    await r.runOnce();
    r.stop();
    expect(await count()).toBe(2160);
    const parts = (await client.query<{ relname: string }>(`SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'ml_predictions'::regclass ORDER BY 1`)).rows.map((x) => x.relname);
    expect(parts).toEqual(expect.arrayContaining(['ml_predictions_p201804', 'ml_predictions_p201805', 'ml_predictions_p201806', 'ml_predictions_p201807']));
    expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM ml_predictions_default')).rows[0]!.n).toBe(0);
  });

  it('prunes what is older than the retention behind the newest candle, in steps of at most `batch` rows', async () => {
    const steps: number[] = [];
    const counting = { retentionStep: async (q: Parameters<SqlStore['retentionStep']>[0]) => {
      const res = await store.retentionStep(q);
      steps.push(res.predictions);
      return res;
    } };
    const r = startHistoryRetention({ store: counting, keepMs: 30 * DAY, newest: () => NEWEST, isLeader: () => true, log: silentLogger(), batch: 200, firstAfterMs: 3_600_000 });
    await r.runOnce();
    r.stop();
    const cutoff = `to_timestamp(${(NEWEST - 30 * DAY) / 1000})`;
    expect(await count(`candle_time < ${cutoff}`)).toBe(0);
    // 30 days and the newest hour: 721 rows stay.
    expect(await count()).toBe(721);
    expect(Math.max(...steps)).toBeLessThanOrEqual(200);
    expect(steps.length).toBeGreaterThan(2);
  });
});
