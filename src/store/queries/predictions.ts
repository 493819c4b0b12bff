/**
 * ml_predictions: the stored signals. One row per (symbol, timeframe, candle_time, model_version),
 * written in one statement per batch and never duplicated by a replay; read back in stream order
 * (candle_time, symbol, timeframe, model_version, id), the order of src/domain/prediction.ts compareCursors.
 */
import type { IndicatorValues } from '../../domain/indicators.ts';
import type {
  Direction,
  Outcome,
  OutcomeRecord,
  PredictionRecord,
  PredictionType,
  Recommendation,
} from '../../domain/prediction.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import type { PredictionQuery } from '../types.ts';
import { dedupeBy, isUuid, numOrNull, toMs, toMsOrNull, type Ctx, type RpcCtx } from './common.ts';

export interface PredictionRow {
  id: string;
  symbol: string;
  timeframe: string;
  candle_time: Date | string;
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
  /** Filled on insert from market_conditions.session (sql/20261206000600); null on older rows. */
  market_session?: string | null;
  risk_assessment: Record<string, unknown> | null;
  processing_time_ms: number | null;
  prediction_timestamp: Date | string;
  actual_outcome: string | null;
  actual_profit_loss: number | null;
  exit_price: number | null;
  outcome_timestamp: Date | string | null;
  requested_by?: string | null;
  api_key_id?: string | null;
}

export const PREDICTION_COLUMNS = `id, symbol, timeframe, candle_time, model_version, prediction_type, predicted_direction,
  confidence_score, probabilities, recommendation, signal_weight, position_multiplier, entry_price,
  stop_loss, take_profit, risk_score, technical_indicators, input_features, market_conditions,
  risk_assessment, processing_time_ms, prediction_timestamp, actual_outcome, actual_profit_loss,
  exit_price, outcome_timestamp, requested_by, api_key_id, market_session`;

export const toRecord = (r: PredictionRow): PredictionRecord => ({
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
  // Rows from before the column have it in market_conditions only: the record reads as one shape.
  marketConditions: r.market_session && r.market_conditions?.session === undefined ? { ...r.market_conditions, session: r.market_session } : r.market_conditions,
  riskAssessment: r.risk_assessment,
  processingTimeMs: r.processing_time_ms ?? 0,
  createdAt: toMs(r.prediction_timestamp),
  actualOutcome: r.actual_outcome as Outcome | null,
  actualProfitLoss: numOrNull(r.actual_profit_loss),
  exitPrice: numOrNull(r.exit_price),
  outcomeTime: toMsOrNull(r.outcome_timestamp),
  requestedBy: r.requested_by ?? null,
  apiKeyId: r.api_key_id ?? null,
});

/**
 * A prediction's key: a SIGNAL's natural key (symbol, timeframe, candle, model version), one row
 * each; any other prediction (an API computation over a caller's candles) is its own row, by id.
 */
export const predictionKey = (p: PredictionRecord): string =>
  p.predictionType === 'SIGNAL' ? `${p.symbol}|${p.timeframe}|${p.candleTime}|${p.modelVersion}` : `id|${p.id}`;

/** Inserts the batch in one statement; rows already stored (by id, or a SIGNAL's natural key) are skipped. */
export async function insertPredictions({ rpc }: RpcCtx, rows: readonly PredictionRecord[]): Promise<number> {
  if (rows.length === 0) return 0;
  const unique = dedupeBy(rows, predictionKey);
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
    requested_by: p.requestedBy ?? null,
    api_key_id: p.apiKeyId ?? null,
  }));
  return rpc.value<number>('sb_insert_predictions', { p_rows: payload });
}

/**
 * Records outcomes in one statement. Only unresolved predictions change, so a replayed outcome
 * changes nothing; returns how many were resolved now.
 */
export async function resolvePredictions({ rpc }: RpcCtx, outcomes: readonly OutcomeRecord[]): Promise<number> {
  if (outcomes.length === 0) return 0;
  const rows = dedupeBy(outcomes, (o) => o.predictionId).map((o) => ({
    id: o.predictionId,
    outcome: o.outcome,
    exit_price: o.exitPrice,
    profit_loss: o.profitLossPct,
    outcome_ms: o.outcomeTime,
  }));
  return rpc.value<number>('sb_resolve_predictions', { p_rows: rows });
}

export const DEFAULT_PREDICTION_PAGE = 1000;

/** sb_read_predictions' query: the cursor, instant, symbols and limit of a PredictionQuery. */
export function predictionQueryArgs(q: PredictionQuery & { openOnly?: boolean; unlimited?: boolean }): Record<string, unknown> {
  const a = q.after;
  return {
    after: a ? { candle_ms: a.candleTime, symbol: a.symbol, timeframe: a.timeframe, model_version: a.modelVersion, id: a.id } : null,
    after_ms: q.afterTime ?? null,
    symbols: q.symbols && q.symbols.length > 0 ? q.symbols : null,
    open_only: q.openOnly ?? false,
    limit: q.unlimited ? null : Math.max(0, Math.floor(q.limit ?? DEFAULT_PREDICTION_PAGE)),
  };
}

/** Rows in stream order, after a cursor or instant, for some symbols, at most `limit` (default 1000). */
export async function readPredictions({ rpc }: RpcCtx, q: PredictionQuery): Promise<PredictionRecord[]> {
  const rows = await rpc.rows<PredictionRow>('sb_read_predictions', { p_query: predictionQueryArgs(q) });
  return rows.map(toRecord);
}

/** The stored SIGNAL with this id (a `since` cursor names a signal of the record, never an API row). */
export async function getPrediction({ db, n }: Ctx, id: string): Promise<PredictionRecord | null> {
  if (!isUuid(id)) return null;
  const { rows } = await db.query<PredictionRow>(`SELECT ${PREDICTION_COLUMNS} FROM ${n.predictions} WHERE id = $1 AND prediction_type = 'SIGNAL'`, [id]);
  return rows[0] ? toRecord(rows[0]) : null;
}

/**
 * Every unresolved prediction, HOLD included (a HOLD resolves to NO_TRADE after the same barrier
 * walk), oldest first: what the outcome tracker reloads after a restart.
 */
export async function openPredictions({ rpc }: RpcCtx): Promise<PredictionRecord[]> {
  const rows = await rpc.rows<PredictionRow>('sb_read_predictions', { p_query: predictionQueryArgs({ openOnly: true, unlimited: true }) });
  return rows.map(toRecord);
}
