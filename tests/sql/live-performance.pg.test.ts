/**
 * Rolling live rows of ml_model_performance (sql/20261204001200_live_performance.sql) on server
 * Postgres: 'live_7d' and 'live_30d' per model from the trades that resolved in the window, figures
 * worked out by hand below; a window with no trade keeps no row.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';

const server = await serverPostgres();

describe.runIf(server.available)('live performance rows (server Postgres)', () => {
  const schema = uniqueSchema('sbt_live');
  const db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 1 });
  const s = `"${schema}"`;
  const rows = () =>
    db.query(`SELECT evaluation, trades_count, accuracy, precision_buy, precision_sell, avg_profit_per_trade, profit_factor, max_drawdown
              FROM ${s}.ml_model_performance WHERE model_version = 'v1' ORDER BY evaluation`).then((r) => r.rows);

  beforeAll(async () => {
    await migrate(db, { schema });
    // Trades of v1 by outcome time:  40 d ago BUY +10 (outside both) | 20 d SELL -4 | 3 d BUY +2 | 2 d BUY -1 | 1 d SELL +3
    await db.query(`INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction,
        confidence_score, entry_price, actual_outcome, actual_profit_loss, outcome_timestamp)
      SELECT 'v1', 'LTC/BTC', '5m', now() - (d + 1) * interval '1 day', '{}', dir, 0.6, 1, CASE WHEN pl > 0 THEN 'TP_HIT' ELSE 'SL_HIT' END, pl, now() - d * interval '1 day'
      FROM (VALUES (40, 'BUY', 10.0), (20, 'SELL', -4.0), (3, 'BUY', 2.0), (2, 'BUY', -1.0), (1, 'SELL', 3.0)) AS t(d, dir, pl)`);
  });
  afterAll(async () => {
    await db.exec(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
    await db.close();
  });

  it('writes live_7d and live_30d from the trades resolved in each window', async () => {
    const n = (await db.query<{ n: number }>(`SELECT ${s}.sb_refresh_live_performance() AS n`)).rows[0]!.n;
    expect(n).toBe(2);
    expect(await rows()).toEqual([
      // 30 d: -4, +2, -1, +3: 2 of 4 win; BUY 1 of 2, SELL 1 of 2; mean 0; gains 5 / losses 5; the curve -4, -2, -3, 0 falls 4 below its start.
      { evaluation: 'live_30d', trades_count: 4, accuracy: 0.5, precision_buy: 0.5, precision_sell: 0.5, avg_profit_per_trade: 0, profit_factor: 1, max_drawdown: 4 },
      // 7 d: +2, -1, +3: 2 of 3; BUY 1 of 2, SELL 1 of 1; mean 4/3; 5 / 1; the curve 2, 1, 4 falls 1 below its peak.
      { evaluation: 'live_7d', trades_count: 3, accuracy: 2 / 3, precision_buy: 0.5, precision_sell: 1, avg_profit_per_trade: 4 / 3, profit_factor: 5, max_drawdown: 1 },
    ]);
  });

  it('removes a window row once the window holds no trade', async () => {
    await db.query(`DELETE FROM ${s}.ml_predictions WHERE outcome_timestamp > now() - interval '10 days'`);
    await db.query(`SELECT ${s}.sb_refresh_live_performance()`);
    expect((await rows()).map((r) => [r.evaluation, r.trades_count])).toEqual([['live_30d', 1]]);
  });
});
