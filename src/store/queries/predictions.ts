/**
 * ml_predictions: the stored signals. One row per (symbol, timeframe, candle_time, model_version),
 * written in one statement per batch and never duplicated by a replay; read back in stream order
 * (candle_time, symbol, timeframe, model_version, id), the order of src/signals/signal.ts.
 */
import type { IndicatorValues } from '../../features/columns.ts';
import type { Timeframe } from '../../ingest/timeframe.ts';
import type { Direction, Outcome, OutcomeRecord, PredictionQuery, PredictionRecord, PredictionType, Recommendation } from '../types.ts';
import { dedupeBy, isUuid, numOrNull, toMs, toMsOrNull, tsFromMs, type Ctx } from './common.ts';

interface PredictionRow {
  id: string;
  symbol: string;
  timeframe: string;
  candle_time: Date;
  model_version: string;
  prediction_type: string;
  predicted_direction: string;
  confidence_score: number;
  probabilities: Record<Direction, number> | null;
  recommendation: string | null;
  signal_weight: number | null;
  position_multiplier: number | null;
  entry_price: number;
  stop_loss: number | null;
  take_profit: number | null;
  risk_score: number | null;
  technical_indicators: IndicatorValues;
  input_features: Record<string, unknown>;
  market_conditions: Record<string, unknown> | null;
  risk_assessment: Record<string, unknown> | null;
  processing_time_ms: number | null;
  prediction_timestamp: Date;
  actual_outcome: string | null;
  actual_profit_loss: number | null;
  exit_price: number | null;
  outcome_timestamp: Date | null;
}

const COLUMNS = `id, symbol, timeframe, candle_time, model_version, prediction_type, predicted_direction,
  confidence_score, probabilities, recommendation, signal_weight, position_multiplier, entry_price,
  stop_loss, take_profit, risk_score, technical_indicators, input_features, market_conditions,
  risk_assessment, processing_time_ms, prediction_timestamp, actual_outcome, actual_profit_loss,
  exit_price, outcome_timestamp`;

const toRecord = (r: PredictionRow): PredictionRecord => ({
  id: r.id,
  symbol: r.symbol,
  timeframe: r.timeframe as Timeframe,
  candleTime: toMs(r.candle_time),
  modelVersion: r.model_version,
  predictionType: r.prediction_type as PredictionType,
  predictedDirection: r.predicted_direction as Direction,
  confidenceScore: r.confidence_score,
  probabilities: r.probabilities ?? { BUY: 0, SELL: 0, HOLD: 0 },
  recommendation: (r.recommendation ?? 'HOLD') as Recommendation,
  signalWeight: r.signal_weight ?? 0,
  positionMultiplier: r.position_multiplier ?? 0,
  entryPrice: r.entry_price,
  stopLoss: r.stop_loss,
  takeProfit: r.take_profit,
  riskScore: r.risk_score ?? 0,
  technicalIndicators: r.technical_indicators,
  inputFeatures: r.input_features,
  marketConditions: r.market_conditions,
  riskAssessment: r.risk_assessment,
  processingTimeMs: r.processing_time_ms ?? 0,
  createdAt: toMs(r.prediction_timestamp),
  actualOutcome: r.actual_outcome as Outcome | null,
  actualProfitLoss: numOrNull(r.actual_profit_loss),
  exitPrice: numOrNull(r.exit_price),
  outcomeTime: toMsOrNull(r.outcome_timestamp),
});

/** Inserts the batch in one statement; rows already stored (by id or natural key) are skipped. */
export async function insertPredictions({ db, n }: Ctx, rows: readonly PredictionRecord[]): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = dedupeBy(rows, (p) => `${p.symbol}|${p.timeframe}|${p.candleTime}|${p.modelVersion}`);
  const payload = unique.map((p) => ({
    id: p.id,
    model_version: p.modelVersion,
    symbol: p.symbol,
    timeframe: p.timeframe,
    candle_ms: p.candleTime,
    prediction_type: p.predictionType,
    input_features: p.inputFeatures ?? {},
    technical_indicators: p.technicalIndicators,
    market_conditions: p.marketConditions ?? null,
    predicted_direction: p.predictedDirection,
    confidence_score: p.confidenceScore,
    probabilities: p.probabilities,
    signal_weight: p.signalWeight,
    recommendation: p.recommendation,
    position_multiplier: p.positionMultiplier,
    entry_price: p.entryPrice,
    stop_loss: p.stopLoss,
    take_profit: p.takeProfit,
    risk_assessment: p.riskAssessment ?? null,
    risk_score: p.riskScore,
    created_ms: p.createdAt,
    processing_time_ms: p.processingTimeMs,
    actual_outcome: p.actualOutcome ?? null,
    actual_profit_loss: p.actualProfitLoss ?? null,
    exit_price: p.exitPrice ?? null,
    outcome_ms: p.outcomeTime ?? null,
  }));
  const { rowCount } = await db.query(
    `INSERT INTO ${n.predictions} (id, model_version, symbol, timeframe, candle_time, prediction_type,
       input_features, technical_indicators, market_conditions, predicted_direction, confidence_score,
       probabilities, signal_weight, recommendation, position_multiplier, entry_price, stop_loss,
       take_profit, risk_assessment, risk_score, prediction_timestamp, processing_time_ms,
       actual_outcome, actual_profit_loss, exit_price, outcome_timestamp)
     SELECT r.id, r.model_version, r.symbol, r.timeframe, ${tsFromMs('r.candle_ms')}, r.prediction_type,
       r.input_features, r.technical_indicators, r.market_conditions, r.predicted_direction, r.confidence_score,
       r.probabilities, r.signal_weight, r.recommendation, r.position_multiplier, r.entry_price, r.stop_loss,
       r.take_profit, r.risk_assessment, r.risk_score, ${tsFromMs('r.created_ms')}, r.processing_time_ms,
       r.actual_outcome, r.actual_profit_loss, r.exit_price, ${tsFromMs('r.outcome_ms')}
     FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, model_version text, symbol text, timeframe text,
       candle_ms float8, prediction_type text, input_features jsonb, technical_indicators jsonb,
       market_conditions jsonb, predicted_direction text, confidence_score float8, probabilities jsonb,
       signal_weight float8, recommendation text, position_multiplier float8, entry_price float8,
       stop_loss float8, take_profit float8, risk_assessment jsonb, risk_score float8, created_ms float8,
       processing_time_ms float8, actual_outcome text, actual_profit_loss float8, exit_price float8,
       outcome_ms float8)
     ON CONFLICT DO NOTHING`,
    [JSON.stringify(payload)],
  );
  return rowCount;
}

/**
 * Records outcomes in one statement. Only unresolved predictions change, so a replayed outcome
 * changes nothing; returns how many were resolved now.
 */
export async function resolvePredictions({ db, n }: Ctx, outcomes: readonly OutcomeRecord[]): Promise<number> {
  if (outcomes.length === 0) return 0;
  const unique = dedupeBy(outcomes, (o) => o.predictionId);
  const { rowCount } = await db.query(
    `UPDATE ${n.predictions} p
     SET actual_outcome = u.outcome, exit_price = u.exit_price, actual_profit_loss = u.pl,
         outcome_timestamp = ${tsFromMs('u.ms')}
     FROM unnest($1::uuid[], $2::text[], $3::float8[], $4::float8[], $5::float8[]) AS u(id, outcome, exit_price, pl, ms)
     WHERE p.id = u.id AND p.actual_outcome IS NULL`,
    [
      unique.map((o) => o.predictionId),
      unique.map((o) => o.outcome),
      unique.map((o) => o.exitPrice),
      unique.map((o) => o.profitLossPct),
      unique.map((o) => o.outcomeTime),
    ],
  );
  return rowCount;
}

export const DEFAULT_PREDICTION_PAGE = 1000;

/** Rows in stream order, after a cursor or instant, for some symbols, at most `limit` (default 1000). */
export async function readPredictions({ db, n }: Ctx, q: PredictionQuery): Promise<PredictionRecord[]> {
  const params: unknown[] = [];
  const where: string[] = [];
  const p = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (q.after) {
    const a = q.after;
    where.push(
      `(candle_time, symbol, timeframe, model_version, id) > (${tsFromMs(p(a.candleTime))}, ${p(a.symbol)}::text, ${p(a.timeframe)}::text, ${p(a.modelVersion)}::text, ${p(a.id)}::uuid)`,
    );
  }
  if (q.afterTime !== undefined) where.push(`candle_time > ${tsFromMs(p(q.afterTime))}`);
  if (q.symbols && q.symbols.length > 0 && !q.symbols.includes('*')) where.push(`symbol = ANY(${p(q.symbols)}::text[])`);
  const limit = p(Math.max(0, Math.floor(q.limit ?? DEFAULT_PREDICTION_PAGE)));
  const { rows } = await db.query<PredictionRow>(
    `SELECT ${COLUMNS} FROM ${n.predictions}
     ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY candle_time, symbol, timeframe, model_version, id LIMIT ${limit}`,
    params,
  );
  return rows.map(toRecord);
}

export async function getPrediction({ db, n }: Ctx, id: string): Promise<PredictionRecord | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query<PredictionRow>(`SELECT ${COLUMNS} FROM ${n.predictions} WHERE id = $1`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/**
 * Every unresolved prediction, HOLD included (a HOLD resolves to NO_TRADE after the same barrier
 * walk), oldest first: what the outcome tracker reloads after a restart.
 */
export async function openPredictions({ db, n }: Ctx): Promise<PredictionRecord[]> {
  const { rows } = await db.query<PredictionRow>(
    `SELECT ${COLUMNS} FROM ${n.predictions} WHERE actual_outcome IS NULL
     ORDER BY candle_time, symbol, timeframe, model_version, id`,
  );
  return rows.map(toRecord);
}
