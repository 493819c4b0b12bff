/**
 * get_signal_scorecard (sql/20261204000210_signal_scorecard.sql) on rows whose figures are worked
 * out by hand in the comments, read through the store's query (store/queries/quality.ts). Run on
 * PGlite (scorecard.test.ts) and server Postgres (scorecard.pg.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { scorecard, type ScorecardRow } from '../../src/store/queries/quality.ts';
import { SqlRpc } from '../../src/store/rpc.ts';
import { uniqueSchema } from '../helpers/pg.ts';
import type { SqlTarget } from './functions.suite.ts';

/** [model, symbol, minutes after the base time, direction, confidence, outcome, P/L %, prediction_type]. */
type Row = [string, string, number, 'BUY' | 'SELL' | 'HOLD', number, string | null, number | null, string?];
const ROWS: Row[] = [
  // vA LTC/BTC, in time order: trades +2, −1, +0.5, −0.5 (confidences 0.65, 0.72, 0.55, 0.81).
  ['vA', 'LTC/BTC', 0, 'BUY', 0.65, 'TP_HIT', 2],
  ['vA', 'LTC/BTC', 5, 'SELL', 0.72, 'SL_HIT', -1],
  ['vA', 'LTC/BTC', 10, 'BUY', 0.55, 'EXPIRED', 0.5],
  ['vA', 'LTC/BTC', 20, 'SELL', 0.81, 'SL_HIT', -0.5],
  ['vA', 'LTC/BTC', 25, 'HOLD', 0.6, 'NO_TRADE', null], // a signal, resolved, no trade
  ['vA', 'LTC/BTC', 30, 'BUY', 0.7, null, null], // open: a signal, not resolved
  // vA XLM/BTC: one trade +1 at minute 15 (between the third and fourth LTC trades).
  ['vA', 'XLM/BTC', 15, 'BUY', 0.9, 'TP_HIT', 1],
  // vB LTC/BTC: one trade −0.5 at minute 35.
  ['vB', 'LTC/BTC', 35, 'SELL', 0.6, 'SL_HIT', -0.5],
  // Not live signals: never counted.
  ['vA', 'LTC/BTC', 40, 'BUY', 0.99, 'TP_HIT', 50, 'API'],
  ['vA', 'LTC/BTC', 45, 'BUY', 0.99, 'TP_HIT', 50, 'BACKTEST'],
  // 40 days old: outside p_days = 30.
  ['vB', 'LTC/BTC', -40 * 1440, 'BUY', 0.6, 'TP_HIT', 3],
];

export function scorecardSuite(label: string, open: () => Promise<SqlTarget>): void {
  describe(`get_signal_scorecard: ${label}`, () => {
    let t: SqlTarget;
    let schema: string;
    let card: (q?: Parameters<typeof scorecard>[1]) => Promise<ScorecardRow[]>;
    const row = (rows: ScorecardRow[], model: string, symbol: string) => rows.find((r) => r.model_version === model && r.symbol === symbol)!;

    beforeAll(async () => {
      t = await open();
      schema = uniqueSchema('sbt_sc');
      await migrate(t.db, { schema });
      for (const [model, symbol, minutes, dir, conf, outcome, pnl, type] of ROWS) {
        await t.db.query(
          `INSERT INTO "${schema}".ml_predictions (model_version, symbol, timeframe, candle_time, prediction_type, technical_indicators,
             predicted_direction, confidence_score, entry_price, actual_outcome, actual_profit_loss)
           VALUES ($1, $2, '5m', date_trunc('minute', now()) - interval '2 days' + $3 * interval '1 minute', $4, '{}', $5, $6, 1, $7, $8)`,
          [model, symbol, minutes, type ?? 'SIGNAL', dir, conf, outcome, pnl],
        );
      }
      const rpc = new SqlRpc(t.db, schema);
      card = (q) => scorecard({ rpc }, q);
    });
    afterAll(async () => {
      await t?.dropSchemas([schema]);
      await t?.close();
    });

    it('per model and symbol: counts, hit rate, mean, profit factor, drawdown, Brier, ECE and bins', async () => {
      const rows = await card({ days: 30 });
      expect(rows.map((r) => `${r.model_version}|${r.symbol}`)).toEqual(['vA|LTC/BTC', 'vA|XLM/BTC', 'vA|*', 'vB|LTC/BTC', 'vB|*', '*|*']);
      const a = row(rows, 'vA', 'LTC/BTC');
      expect(a).toMatchObject({ signals: 6, resolved: 5, trades: 4, hit_rate: 0.5 });
      expect(a.mean_pnl_pct).toBeCloseTo(0.25, 12); // (2 − 1 + 0.5 − 0.5) / 4
      expect(a.total_pnl_pct).toBeCloseTo(1, 12);
      expect(a.profit_factor as number).toBeCloseTo(2.5 / 1.5, 12);
      expect(a.max_drawdown_pct).toBeCloseTo(1, 12); // equity 2, 1, 1.5, 1: from the peak 2 down to 1
      // Brier: (0.65 − 1)² + 0.72² + (0.55 − 1)² + 0.81² = 0.1225 + 0.5184 + 0.2025 + 0.6561 = 1.4995, / 4.
      expect(a.brier).toBeCloseTo(1.4995 / 4, 12);
      // One trade per bin: ECE = (0.35 + 0.72 + 0.45 + 0.81) / 4.
      expect(a.ece).toBeCloseTo(2.33 / 4, 12);
      expect(a.calibration.map((b) => [b.from, b.count, b.win_rate])).toEqual([
        [0.5, 1, 1],
        [0.6, 1, 1],
        [0.7, 1, 0],
        [0.8, 1, 0],
      ]);
      expect(a.first_signal).toMatch(/Z$/);
      expect(a.mean_pnl_ci_low!).toBeLessThanOrEqual(a.mean_pnl_pct!);
      expect(a.mean_pnl_ci_high!).toBeGreaterThanOrEqual(a.mean_pnl_pct!);
      expect(a.mean_pnl_ci_low!).toBeGreaterThanOrEqual(-1);
      expect(a.mean_pnl_ci_high!).toBeLessThanOrEqual(2);

      // One trade: the interval is that trade; no loss: profit factor Infinity.
      const x = row(rows, 'vA', 'XLM/BTC');
      expect(x).toMatchObject({ trades: 1, hit_rate: 1, mean_pnl_pct: 1, mean_pnl_ci_low: 1, mean_pnl_ci_high: 1, profit_factor: 'Infinity', max_drawdown_pct: 0 });

      // vA over both symbols, trades in time order +2, −1, +0.5, +1, −0.5: mean 0.4, equity 2, 1, 1.5, 2.5, 2.
      const all = row(rows, 'vA', '*');
      expect(all).toMatchObject({ signals: 7, trades: 5, hit_rate: 0.6 });
      expect(all.mean_pnl_pct).toBeCloseTo(0.4, 12);
      expect(all.profit_factor as number).toBeCloseTo(3.5 / 1.5, 12);
      expect(all.max_drawdown_pct).toBeCloseTo(1, 12);

      // Overall adds vB's −0.5 at the end: mean 1.5 / 6, equity … 2, 1.5: drawdown max(1, 2.5 − 1.5) = 1.
      const overall = row(rows, '*', '*');
      expect(overall).toMatchObject({ signals: 8, trades: 6, hit_rate: 0.5 });
      expect(overall.mean_pnl_pct).toBeCloseTo(0.25, 12);
      expect(overall.profit_factor as number).toBeCloseTo(3.5 / 2, 12);
      expect(overall.max_drawdown_pct).toBeCloseTo(1, 12);
    });

    it('filters by model, symbol and days; the interval is the same on every call', async () => {
      const b = await card({ modelVersion: 'vB' });
      // Without p_days the 40-day-old +3 counts: trades +3, −0.5.
      expect(row(b, 'vB', 'LTC/BTC')).toMatchObject({ trades: 2, hit_rate: 0.5, mean_pnl_pct: 1.25 });
      expect(b.map((r) => r.model_version)).toEqual(['vB', 'vB', '*']);
      const b30 = await card({ modelVersion: 'vB', days: 30 });
      expect(row(b30, 'vB', 'LTC/BTC')).toMatchObject({ trades: 1, mean_pnl_pct: -0.5, profit_factor: 0 });
      const xlm = await card({ symbol: 'XLM/BTC' });
      expect(xlm.map((r) => `${r.model_version}|${r.symbol}`)).toEqual(['vA|XLM/BTC', 'vA|*', '*|*']);
      const none = await card({ modelVersion: 'nope' });
      expect(none).toEqual([expect.objectContaining({ model_version: '*', symbol: '*', signals: 0, trades: 0, mean_pnl_pct: null, mean_pnl_ci_low: null, calibration: [] })]);
      const again = await card({ days: 30 });
      const first = await card({ days: 30 });
      expect(again.map((r) => [r.mean_pnl_ci_low, r.mean_pnl_ci_high])).toEqual(first.map((r) => [r.mean_pnl_ci_low, r.mean_pnl_ci_high]));
    });
  });
}
