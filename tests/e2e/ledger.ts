/**
 * What a run left in a Postgres schema, read with plain SQL (not through the Store under test), so
 * two runs can be compared row for row: every prediction with its outcome, every training sample,
 * every candle. Duplicates are counted on keys the schema does NOT make unique (a prediction per
 * (symbol, timeframe, candle_time) across model versions, a sample per (symbol, candle_time)), so a
 * recovery that wrote a row twice under a second id or model version shows up.
 */
import pg from 'pg';

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

const num = (x: unknown) => (x === null ? 'null' : Number(x).toPrecision(12));

export async function readLedger(url: string, schema: string): Promise<Ledger> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const s = `"${schema}"`;
    const p = await c.query(`SELECT id, predicted_direction, actual_outcome, actual_profit_loss, exit_price FROM ${s}.ml_predictions ORDER BY candle_time, symbol, id`);
    const t = await c.query(`SELECT prediction_id, status, profit_loss FROM ${s}.ml_training_samples ORDER BY candle_time, symbol, prediction_id`);
    const k = await c.query(`SELECT symbol, timeframe, open_time, close FROM ${s}.ml_candles ORDER BY symbol, timeframe, open_time`);
    const dp = await c.query(`SELECT count(*) - count(DISTINCT (symbol, timeframe, candle_time)) AS n FROM ${s}.ml_predictions`);
    const ds = await c.query(`SELECT count(*) - count(DISTINCT (symbol, timeframe, candle_time)) AS n FROM ${s}.ml_training_samples`);
    return {
      predictions: p.rows.map((r) => `${r.id} ${r.predicted_direction} ${r.actual_outcome} ${num(r.actual_profit_loss)} ${num(r.exit_price)}`),
      samples: t.rows.map((r) => `${r.prediction_id} ${r.status} ${num(r.profit_loss)}`),
      candles: k.rows.map((r) => `${r.symbol} ${r.timeframe} ${(r.open_time as Date).toISOString()} ${num(r.close)}`),
      duplicatePredictions: Number(dp.rows[0].n),
      duplicateSamples: Number(ds.rows[0].n),
      open: p.rows.filter((r) => r.actual_outcome === null).length,
    };
  } finally {
    await c.end();
  }
}
