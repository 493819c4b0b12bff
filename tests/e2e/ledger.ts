/**
 * What a run left in a Postgres schema, read with plain SQL (not through the Store under test), so
 * two runs can be compared row for row: every prediction with its outcome, every training sample,
 * every candle. Duplicates are counted on keys the schema does NOT make unique (a prediction per
 * (symbol, timeframe, candle_time) across model versions, a sample per (symbol, candle_time)), so a
 * recovery that wrote a row twice under a second id or model version shows up.
 */
import pg from 'pg';
import { expect } from 'vitest';

export interface Ledger {
  /** "id direction outcome pnl exit" per prediction, by (candle_time, symbol, id). */
  predictions: string[];
  /** "prediction_id status pnl" per sample, by (candle_time, symbol). */
  samples: string[];
  /** "symbol timeframe open_time close" per candle. */
  candles: string[];
  /** Predictions sharing (symbol, timeframe, candle_time) with another; 0 in a correct store. */
  duplicatePredictions: number;
  /** Samples sharing (symbol, timeframe, candle_time) with another; 0 in a correct store. */
  duplicateSamples: number;
  /** Predictions with no outcome (still open). */
  open: number;
}

const num = (x: unknown) => (x === null ? 'null' : String(Number(x)));

/** Runs one SQL statement, returning its rows (a pg.Client's or an embedded store's client). */
export type QueryRows = (sql: string) => Promise<{ rows: Array<Record<string, unknown>> }>;

export async function readLedger(url: string, schema: string): Promise<Ledger> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await ledgerOf((sql) => c.query(sql), schema);
  } finally {
    await c.end();
  }
}

/** The ledger of `schema` read with plain SQL through `query`. */
export async function ledgerOf(query: QueryRows, schema: string): Promise<Ledger> {
  const s = `"${schema}"`;
  const p = await query(`SELECT id, predicted_direction, actual_outcome, actual_profit_loss, exit_price FROM ${s}.ml_predictions ORDER BY candle_time, symbol, id`);
  const t = await query(`SELECT prediction_id, status, profit_loss FROM ${s}.ml_training_samples ORDER BY candle_time, symbol, prediction_id`);
  const k = await query(`SELECT symbol, timeframe, open_time, close FROM ${s}.ml_candles ORDER BY symbol, timeframe, open_time`);
  const dp = await query(`SELECT count(*) - count(DISTINCT (symbol, timeframe, candle_time)) AS n FROM ${s}.ml_predictions`);
  const ds = await query(`SELECT count(*) - count(DISTINCT (symbol, timeframe, candle_time)) AS n FROM ${s}.ml_training_samples`);
  return {
    predictions: p.rows.map((r) => `${String(r.id)} ${String(r.predicted_direction)} ${String(r.actual_outcome)} ${num(r.actual_profit_loss)} ${num(r.exit_price)}`),
    samples: t.rows.map((r) => `${String(r.prediction_id)} ${String(r.status)} ${num(r.profit_loss)}`),
    candles: k.rows.map((r) => `${String(r.symbol)} ${String(r.timeframe)} ${new Date(r.open_time as string | Date).toISOString()} ${num(r.close)}`),
    duplicatePredictions: Number(dp.rows[0]!.n),
    duplicateSamples: Number(ds.rows[0]!.n),
    open: p.rows.filter((r) => r.actual_outcome === null).length,
  };
}

/**
 * a equals b row for row: the same rows in the same order, texts exactly, numbers to `rel`
 * relative. A tick computed again after a restart warms its indicators up from the stored window
 * rather than from the first candle, so the ATR behind stops and targets can differ in the 8th
 * digit; an id, a direction, an outcome or a row can not.
 */
export function expectSameLedger(a: Ledger, b: Ledger, rel = 1e-6): void {
  expect(a.duplicatePredictions, 'duplicate predictions').toBe(0);
  expect(a.duplicateSamples, 'duplicate samples').toBe(0);
  expect(a.open, 'open predictions').toBe(b.open);
  for (const key of ['candles', 'predictions', 'samples'] as const) {
    expect(a[key].length, `${key} rows`).toBe(b[key].length);
    a[key].forEach((row, i) => {
      const x = row.split(' ');
      const y = b[key][i]!.split(' ');
      const same = x.length === y.length && x.every((v, j) => v === y[j] || (Number.isFinite(Number(v)) && Math.abs(Number(v) - Number(y[j])) <= rel * Math.max(1e-12, Math.abs(Number(y[j])))));
      if (!same) expect(row, `${key}[${i}]`).toBe(b[key][i]);
    });
  }
}
