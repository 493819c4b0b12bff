/**
 * Every SQL function, trigger and view of sql/, called on real rows and checked against values
 * worked out by hand in the comments. Run on PGlite (functions.test.ts) and server Postgres
 * (functions.pg.test.ts). Rows are inserted as the table owner, as the daemon does.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { uniqueSchema } from '../helpers/pg.ts';

export interface SqlTarget {
  db: SqlClient;
  dropSchemas(schemas: string[]): Promise<void>;
  close(): Promise<void>;
}

const DAY = `(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')`; // start of today, UTC

export function sqlFunctionSuite(label: string, open: () => Promise<SqlTarget>): void {
  describe(`SQL functions: ${label}`, () => {
    let t: SqlTarget;
    let s: string; // quoted schema
    let schema: string;
    const q = <R = Record<string, unknown>>(text: string, params: unknown[] = []) => t.db.query<R>(text, params).then((r) => r.rows);

    beforeAll(async () => {
      t = await open();
      schema = uniqueSchema('sbt_fn');
      s = `"${schema}"`;
      await migrate(t.db, { schema });
    });
    afterAll(async () => {
      await t?.dropSchemas([schema]);
      await t?.close();
    });

    describe('plan defects, fixed', () => {
      it('has no fixed-precision numeric column: ratios like a Sharpe of 12.3 or a profit factor of 1500 fit', async () => {
        const numeric = await q(
          `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND data_type = 'numeric'`,
          [schema],
        );
        expect(numeric).toEqual([]);
        // What the plan's types did with the same figures:
        await expect(t.db.query('SELECT 1500.25::numeric(5,2)')).rejects.toThrow(/overflow/);
        await expect(t.db.query('SELECT 12.345678::numeric(5,4)')).rejects.toThrow(/overflow/);
      });

      it('orders the signal stream bytewise: ml_predictions key columns use collation "C"', async () => {
        const rows = await q<{ attname: string; collname: string }>(
          `SELECT a.attname, c.collname FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation
           WHERE a.attrelid = $1::regclass AND a.attname IN ('symbol', 'timeframe', 'model_version') ORDER BY a.attname`,
          [`${s}.ml_predictions`],
        );
        expect(rows).toEqual([
          { attname: 'model_version', collname: 'C' },
          { attname: 'symbol', collname: 'C' },
          { attname: 'timeframe', collname: 'C' },
        ]);
      });
    });

    describe('calculate_trading_statistics', () => {
      beforeAll(async () => {
        // Five LTC/BTC trades from yesterday:   P/L   confidence
        //   TP_HIT  +2.0 0.6 | SL_HIT -1.5 0.7 | TP_HIT +3.0 0.8 | SL_HIT -1.0 0.5 | EXPIRED +0.5 0.9
        // Not trades, or out of the window: NO_TRADE, PENDING, a TP_HIT 40 days old.
        // One XLM/BTC trade: TP_HIT +1.0, confidence 0.4.
        const rows: [string, string, number | null, number, string][] = [
          ['LTC/BTC', 'TP_HIT', 2.0, 0.6, '1 day'],
          ['LTC/BTC', 'SL_HIT', -1.5, 0.7, '1 day'],
          ['LTC/BTC', 'TP_HIT', 3.0, 0.8, '1 day'],
          ['LTC/BTC', 'SL_HIT', -1.0, 0.5, '1 day'],
          ['LTC/BTC', 'EXPIRED', 0.5, 0.9, '1 day'],
          ['LTC/BTC', 'NO_TRADE', 0.0, 0.9, '1 day'],
          ['LTC/BTC', 'PENDING', null, 0.9, '1 day'],
          ['LTC/BTC', 'TP_HIT', 4.0, 0.3, '40 days'],
          ['XLM/BTC', 'TP_HIT', 1.0, 0.4, '2 days'],
        ];
        for (const [symbol, status, pl, conf, age] of rows) {
          await t.db.query(
            `INSERT INTO ${s}.ml_training_samples (symbol, timeframe, candle_time, signal_type, entry_price, profit_loss,
               prediction_confidence, performance_score, status)
             VALUES ($1, '5m', now() - $5::interval, 'BUY', 0.0169, $3, $4, 0.123, $2)`,
            [symbol, status, pl, conf, age],
          );
        }
      });

      it('computes win rate, P/L and profit factor of the window by hand', async () => {
        const [ltc] = await q(`SELECT * FROM ${s}.calculate_trading_statistics(30, 'LTC/BTC')`);
        // wins 3, losses 2 → win rate 3/5 = 0.6; P/L sum 2 - 1.5 + 3 - 1 + 0.5 = 3.0, mean 0.6;
        // profit factor = gross profit 5.5 / gross loss 2.5 = 2.2; confidence mean 3.5 / 5 = 0.7
        // (the plan averaged performance_score, 0.123 here).
        expect(ltc).toMatchObject({
          total_trades: 5,
          winning_trades: 3,
          losing_trades: 2,
          win_rate: 0.6,
          avg_profit_loss: 0.6,
          total_profit_loss: 3,
          profit_factor: 2.2,
          symbol: 'LTC/BTC',
        });
        expect(ltc!.avg_confidence as number).toBeCloseTo(0.7, 12);
      });

      it('groups per symbol, widens with p_days, and has no profit factor without a loss', async () => {
        const all = await q<{ symbol: string; total_trades: number; profit_factor: number | null }>(
          `SELECT symbol, total_trades, profit_factor FROM ${s}.calculate_trading_statistics()`,
        );
        expect(all).toEqual([
          { symbol: 'LTC/BTC', total_trades: 5, profit_factor: 2.2 },
          { symbol: 'XLM/BTC', total_trades: 1, profit_factor: null },
        ]);
        const [wide] = await q(`SELECT total_trades, total_profit_loss FROM ${s}.calculate_trading_statistics(60, 'LTC/BTC')`);
        expect(wide).toEqual({ total_trades: 6, total_profit_loss: 7 }); // + the 40-day-old +4.0
      });
    });

    it('get_latest_indicator_weights: importance rank first, then name', async () => {
      await t.db.query(`UPDATE ${s}.ml_indicator_weights SET importance_rank = 1 WHERE indicator_name = 'rsi_value'`);
      await t.db.query(`UPDATE ${s}.ml_indicator_weights SET importance_rank = 2 WHERE indicator_name = 'ema_12'`);
      const rows = await q<{ indicator_name: string; current_weight: number }>(`SELECT * FROM ${s}.get_latest_indicator_weights()`);
      const rest = INDICATOR_COLUMNS.filter((c) => c !== 'rsi_value' && c !== 'ema_12').sort();
      expect(rows.map((r) => r.indicator_name)).toEqual(['rsi_value', 'ema_12', ...rest]);
      expect(rows.every((r) => r.current_weight === 1)).toBe(true);
    });

    it('get_model_performance_metrics: the window and version filters, ratios unbounded', async () => {
      const insert = (version: string, evaluation: string, age: string, sharpe: number, pf: number) =>
        t.db.query(
          `INSERT INTO ${s}.ml_model_performance (model_version, evaluation, training_date, training_samples_count,
             validation_samples_count, accuracy, overall_win_rate, profit_factor, max_drawdown, sharpe_ratio, sortino_ratio, calmar_ratio)
           VALUES ($1, $2, now() - $3::interval, 900, 100, 0.61, 0.56, $5, 0.12, $4, 23.4, 1234.5)`,
          [version, evaluation, age, sharpe, pf],
        );
      await insert('v1', 'test', '2 days', 12.345678, 1500.25);
      await insert('v1', 'baseline_hold', '2 days', 0, 0);
      await insert('v0', 'test', '40 days', 1.5, 1.1);
      const recent = await q(`SELECT model_version, evaluation, sharpe_ratio, profit_factor, calmar_ratio FROM ${s}.get_model_performance_metrics()`);
      expect(recent).toEqual([
        { model_version: 'v1', evaluation: 'baseline_hold', sharpe_ratio: 0, profit_factor: 0, calmar_ratio: 1234.5 },
        { model_version: 'v1', evaluation: 'test', sharpe_ratio: 12.345678, profit_factor: 1500.25, calmar_ratio: 1234.5 },
      ]);
      const v0 = await q(`SELECT model_version, win_rate FROM ${s}.get_model_performance_metrics('v0', 60)`);
      expect(v0).toEqual([{ model_version: 'v0', win_rate: 0.56 }]);
    });

    describe('detect_model_drift (valid PL/pgSQL, reading stored checks)', () => {
      beforeAll(async () => {
        const insert = (version: string, age: string, scores: [number, number, number, number], detected: boolean, status: string) =>
          t.db.query(
            `INSERT INTO ${s}.ml_model_drift (model_version, drift_date, data_drift_score, prediction_drift_score,
               performance_drift_score, overall_drift_score, drift_detected, retraining_triggered, status)
             VALUES ($1, now() - $2::interval, $3, $4, $5, $6, $7, false, $8)`,
            [version, age, ...scores, detected, status],
          );
        await insert('v1', '2 hours', [0.01, 0.01, 0.01, 0.01], false, 'ok');
        await insert('v1', '1 hour', [0.31, 0.05, 0.15, 0.31], true, 'drift');
        await insert('v2', '10 minutes', [0.9, 0.9, 0.9, 0.9], true, 'drift');
      });

      it('reports the latest check of the version, its largest component and what to do', async () => {
        const [r] = await q(`SELECT drift_detected, drift_score, drift_type, recommendations, check_status FROM ${s}.detect_model_drift('v1')`);
        // latest v1 row: data 0.31 > prediction 0.05, performance 0.15 → Data Drift; above 0.1: data, performance
        expect(r).toEqual({
          drift_detected: true,
          drift_score: 0.31,
          drift_type: 'Data Drift',
          recommendations: ['Retraining recommended', 'Check data quality: input feature distributions shifted', 'Model performance degraded'],
          check_status: 'drift',
        });
        const [strict] = await q<{ recommendations: string[] }>(`SELECT recommendations FROM ${s}.detect_model_drift('v1', 0.2)`);
        expect(strict!.recommendations).toEqual(['Retraining recommended', 'Check data quality: input feature distributions shifted']);
      });

      it('says so when no check is recorded', async () => {
        const rows = await q(`SELECT drift_detected, drift_score, drift_type, check_status FROM ${s}.detect_model_drift('v-none')`);
        expect(rows).toEqual([{ drift_detected: false, drift_score: null, drift_type: 'No Drift Check', check_status: 'no_record' }]);
      });
    });

    describe('dashboard and trends (real outcome values, never the plan\'s PROFIT)', () => {
      beforeAll(async () => {
        await t.db.query(`INSERT INTO ${s}.ml_models (model_version, model_status, is_active, accuracy) VALUES ('v-dash', 'active', true, 0.61)`);
        await t.db.query(`INSERT INTO ${s}.ml_models (model_version, model_status) VALUES ('v-old', 'retired')`);
        // today: 4 predictions, confidence 0.6 0.8 0.7 0.9; resolved today: TP_HIT +2.0, SL_HIT -1.5,
        // EXPIRED +0.5, and a HOLD resolved NO_TRADE (not a trade). Yesterday noon: 2 predictions,
        // confidence 0.5 0.7, TP_HIT +3.0 and SL_HIT -1.0. 40 days ago: 1 prediction.
        const rows: [string, string, number, string | null, number | null, string][] = [
          ['BUY', 'now()', 0.6, 'TP_HIT', 2.0, 'a'],
          ['SELL', 'now()', 0.8, 'SL_HIT', -1.5, 'b'],
          ['BUY', 'now()', 0.7, 'EXPIRED', 0.5, 'c'],
          ['HOLD', 'now()', 0.9, 'NO_TRADE', 0, 'd'],
          ['BUY', `${DAY} - interval '12 hours'`, 0.5, 'TP_HIT', 3.0, 'e'],
          ['SELL', `${DAY} - interval '12 hours'`, 0.7, 'SL_HIT', -1.0, 'f'],
          ['BUY', `${DAY} - interval '40 days'`, 0.9, null, null, 'g'],
        ];
        for (const [dir, at, conf, outcome, pl, sym] of rows) {
          await t.db.query(
            `INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators,
               predicted_direction, confidence_score, entry_price, prediction_timestamp, actual_outcome, actual_profit_loss,
               outcome_timestamp)
             VALUES ('v-dash', $1, '5m', ${at}, '{}', $2, $3, 1, ${at}, $4::text, $5, CASE WHEN $4::text IS NULL THEN NULL ELSE now() END)`,
            [sym, dir, conf, outcome, pl],
          );
        }
        // resolved yesterday, not today
        await t.db.query(`UPDATE ${s}.ml_predictions SET outcome_timestamp = ${DAY} - interval '6 hours' WHERE symbol IN ('e', 'f')`);
        // two more signals still open: a BUY and a HOLD (a HOLD is not an open trade); with 'g'
        // (40 days old, unresolved BUY) that makes two open trades
        await t.db.query(
          `INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price, prediction_timestamp)
           VALUES ('v-dash', 'open1', '5m', ${DAY} - interval '3 days', '{}', 'BUY', 0.5, 1, ${DAY} - interval '3 days'),
                  ('v-dash', 'open2', '5m', ${DAY} - interval '3 days', '{}', 'HOLD', 0.5, 1, ${DAY} - interval '3 days')`,
        );
      });

      it('get_ml_dashboard_data: one row of today\'s figures computed by hand', async () => {
        const rows = await q(`SELECT * FROM ${s}.get_ml_dashboard_data()`);
        expect(rows).toHaveLength(1);
        // today: 4 predictions, mean confidence (0.6+0.8+0.7+0.9)/4 = 0.75; trades resolved today:
        // TP_HIT, SL_HIT, EXPIRED = 3, wins (P/L > 0) 2 → 2/3; profit 2.0 - 1.5 + 0.5 = 1.0.
        expect(rows[0]).toMatchObject({
          active_model_version: 'v-dash',
          total_predictions_today: 4,
          total_trades_today: 3,
          profit_today: 1,
          model_accuracy: 0.61,
          total_models: 2,
          active_indicators: 17,
          open_signals: 2, // 'g' and 'open1'
        });
        expect(rows[0]!.avg_confidence_today as number).toBeCloseTo(0.75, 12);
        expect(rows[0]!.win_rate_today as number).toBeCloseTo(2 / 3, 12);
        expect(rows[0]!.last_training_date).toBeInstanceOf(Date); // from the performance rows above
      });

      it('get_performance_trends: per UTC day, win rate over resolved trades only', async () => {
        const rows = await q<{ date: unknown; predictions_count: number; avg_confidence: number; win_rate: number | null; profit_loss: number }>(
          `SELECT * FROM ${s}.get_performance_trends(30)`,
        );
        // 3 days ago: open1 + open2, no trade → win rate null, P/L 0, confidence 0.5.
        // yesterday: 2 predictions, TP +3.0 / SL -1.0 → 1/2, P/L 2.0, confidence 0.6.
        // today: 4 predictions, trades TP/SL/EXPIRED, 2 wins → 2/3, P/L 1.0, confidence 0.75.
        expect(rows.map((r) => [r.predictions_count, r.win_rate === null ? null : Number(r.win_rate.toFixed(12)), r.profit_loss])).toEqual([
          [2, null, 0],
          [2, 0.5, 2],
          [4, Number((2 / 3).toFixed(12)), 1],
        ]);
        expect(rows.map((r) => Number(r.avg_confidence.toFixed(12)))).toEqual([0.5, 0.6, 0.75]);
        expect(await q(`SELECT * FROM ${s}.get_performance_trends(0)`)).toHaveLength(1); // today only
      });

      it('views: the active model and the open signals', async () => {
        expect(await q(`SELECT model_version, accuracy FROM ${s}.ml_active_model`)).toEqual([{ model_version: 'v-dash', accuracy: 0.61 }]);
        expect(await q(`SELECT symbol, predicted_direction FROM ${s}.ml_open_signals`)).toEqual([
          { symbol: 'g', predicted_direction: 'BUY' },
          { symbol: 'open1', predicted_direction: 'BUY' },
        ]);
      });
    });

    describe('API keys: generated in SQL, stored hashed', () => {
      it('creates a random key, stores only its sha256 and a 7-character prefix', async () => {
        const [a] = await q<{ id: string; api_key: string; key_prefix: string }>(`SELECT * FROM ${s}.create_ml_api_key('a', 'stream', 100, 7)`);
        const [b] = await q<{ api_key: string }>(`SELECT api_key FROM ${s}.create_ml_api_key('b')`);
        expect(a!.api_key).toMatch(/^sb_[0-9a-f]{64}$/);
        expect(a!.api_key).not.toBe(b!.api_key);
        const [row] = await q(`SELECT key_hash, key_prefix, key_type, rate_limit_per_hour FROM ${s}.ml_api_keys WHERE id = $1`, [a!.id]);
        expect(row).toEqual({
          key_hash: createHash('sha256').update(a!.api_key).digest('hex'),
          key_prefix: a!.api_key.slice(0, 7),
          key_type: 'stream',
          rate_limit_per_hour: 100,
        });
      });

      it('no key is stored in plain text anywhere in the schema', async () => {
        const [k] = await q<{ id: string; api_key: string }>(`SELECT id, api_key FROM ${s}.create_ml_api_key('plain-text-check')`);
        await q(`SELECT * FROM ${s}.validate_ml_api_key($1)`, [k!.api_key]);
        const tables = await q<{ tablename: string }>(
          `SELECT c.relname AS tablename FROM pg_class c WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
          [schema],
        );
        // 12 + ml_leader_leases (store_rpc) + ml_settings, ml_api_key_usage (key_limits) + ml_function_usage
        // (edge_functions) + ml_prediction_daily and ml_rollup_state (retention) + ml_broadcast_settings
        // (broadcast) + ml_backtests (ml_backtests); ml_predictions' monthly partitions are read through it.
        expect(tables.length).toBe(20);
        const secret = k!.api_key.slice(3);
        for (const { tablename } of tables) {
          const rows = await q<{ j: string }>(`SELECT row_to_json(x)::text AS j FROM ${s}."${tablename}" x`);
          for (const r of rows) expect(r.j).not.toContain(secret);
        }
      });

      it('validate_ml_api_key: valid, then refused when revoked, expired or unknown; always one row', async () => {
        const [k] = await q<{ id: string; api_key: string }>(`SELECT id, api_key FROM ${s}.create_ml_api_key('v', 'admin', 50)`);
        const ok = await q(`SELECT * FROM ${s}.validate_ml_api_key($1)`, [k!.api_key]);
        expect(ok).toEqual([{ is_valid: true, key_id: k!.id, key_name: 'v', key_type: 'admin', rate_limit: 50, usage_count: 1 }]);
        const [used] = await q(`SELECT usage_count, last_used_at IS NOT NULL AS used FROM ${s}.ml_api_keys WHERE id = $1`, [k!.id]);
        expect(used).toEqual({ usage_count: 1, used: true });

        const refused = [{ is_valid: false, key_id: null, key_name: null, key_type: null, rate_limit: null, usage_count: null }];
        expect(await q(`SELECT * FROM ${s}.validate_ml_api_key('sb_unknown')`)).toEqual(refused);
        expect(await q(`SELECT * FROM ${s}.validate_ml_api_key(NULL)`)).toEqual(refused);

        await t.db.query(`UPDATE ${s}.ml_api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [k!.id]);
        expect(await q(`SELECT * FROM ${s}.validate_ml_api_key($1)`, [k!.api_key])).toEqual(refused);
        await t.db.query(`UPDATE ${s}.ml_api_keys SET expires_at = NULL, is_active = false WHERE id = $1`, [k!.id]);
        expect(await q(`SELECT * FROM ${s}.validate_ml_api_key($1)`, [k!.api_key])).toEqual(refused);
        const [after] = await q(`SELECT usage_count FROM ${s}.ml_api_keys WHERE id = $1`, [k!.id]);
        expect(after).toEqual({ usage_count: 1 }); // refusals are not counted as uses
      });
    });

    describe('triggers', () => {
      it('updated_at follows every update of a model', async () => {
        await t.db.query(`INSERT INTO ${s}.ml_models (model_version) VALUES ('v-trig')`);
        await t.db.query(`UPDATE ${s}.ml_models SET updated_at = '2000-01-01', model_status = 'trained' WHERE model_version = 'v-trig'`);
        const [r] = await q<{ fresh: boolean }>(`SELECT updated_at > '2020-01-01' AS fresh FROM ${s}.ml_models WHERE model_version = 'v-trig'`);
        expect(r!.fresh).toBe(true);
      });

      it('a weight update works (the plan\'s trigger set a column weights do not have) and counts real changes', async () => {
        const read = async () =>
          (await q<{ update_count: number; last_updated: Date }>(
            `SELECT update_count, last_updated FROM ${s}.ml_indicator_weights WHERE indicator_name = 'atr_value'`,
          ))[0]!;
        const before = await read();
        await t.db.query(`UPDATE ${s}.ml_indicator_weights SET current_weight = 1.2 WHERE indicator_name = 'atr_value'`);
        const changed = await read();
        expect(changed.update_count).toBe(before.update_count + 1);
        expect(changed.last_updated.getTime()).toBeGreaterThanOrEqual(before.last_updated.getTime());
        await t.db.query(`UPDATE ${s}.ml_indicator_weights SET importance_rank = 3 WHERE indicator_name = 'atr_value'`);
        expect((await read()).update_count).toBe(changed.update_count);
      });

      it('logs each activation change, also two in one transaction, and allows one active model only', async () => {
        await t.db.query(`INSERT INTO ${s}.ml_models (model_version, model_status) VALUES ('v-x', 'trained'), ('v-y', 'trained')`);
        await t.db.transaction(async (tx) => {
          await tx.query(`UPDATE ${s}.ml_models SET is_active = false, model_status = 'retired' WHERE is_active`);
          await tx.query(`UPDATE ${s}.ml_models SET is_active = true, model_status = 'active' WHERE model_version = 'v-x'`);
          await tx.query(`UPDATE ${s}.ml_models SET is_active = false, model_status = 'retired' WHERE model_version = 'v-x'`);
          await tx.query(`UPDATE ${s}.ml_models SET is_active = true, model_status = 'active' WHERE model_version = 'v-y'`);
        });
        const logs = await q<{ model_version: string; status: string }>(
          `SELECT model_version, status FROM ${s}.ml_generation_logs WHERE generation_strategy = 'MODEL_UPDATE'
           AND model_version IN ('v-dash', 'v-x', 'v-y') ORDER BY model_version, status`,
        );
        // v-dash was inserted active (ACTIVE) and retired here (INACTIVE); v-x on and off; v-y on.
        expect(logs).toEqual([
          { model_version: 'v-dash', status: 'ACTIVE' },
          { model_version: 'v-dash', status: 'INACTIVE' },
          { model_version: 'v-x', status: 'ACTIVE' },
          { model_version: 'v-x', status: 'INACTIVE' },
          { model_version: 'v-y', status: 'ACTIVE' },
        ]);
        await expect(
          t.db.query(`UPDATE ${s}.ml_models SET is_active = true, model_status = 'active' WHERE model_version = 'v-old'`),
        ).rejects.toMatchObject({ code: 'STORE_CONSTRAINT', context: { sqlState: '23505' } });
        await expect(t.db.query(`UPDATE ${s}.ml_models SET model_status = 'active' WHERE model_version = 'v-old'`)).rejects.toMatchObject({
          context: { sqlState: '23514' }, // ml_models_active_status: active exactly when status says so
        });
      });
    });
  });
}
