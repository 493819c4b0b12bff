/**
 * The engine's vocabulary for a signal: its direction, recommendation and outcome, the record the
 * store keeps for it, and the natural key (cursor) that totally orders the signal stream.
 * Times are epoch milliseconds in the engine and `timestamptz` in SQL; adapters convert at the edge.
 */
import type { IndicatorValues } from './indicators.ts';
import type { Timeframe } from './timeframe.ts';

export type Direction = 'BUY' | 'SELL' | 'HOLD';
export type Recommendation = 'STRONG_BUY' | 'BUY' | 'HOLD' | 'SELL' | 'STRONG_SELL';
export type Outcome = 'TP_HIT' | 'SL_HIT' | 'EXPIRED' | 'NO_TRADE';
export type PredictionType = 'SIGNAL' | 'API' | 'BACKTEST';

/** One stored signal. `id` is chosen by the daemon so subscribers and the store share it. */
export interface PredictionRecord {
  id: string;
  symbol: string;
  timeframe: Timeframe;
  candleTime: number;
  modelVersion: string;
  predictionType: PredictionType;
  predictedDirection: Direction;
  confidenceScore: number;
  probabilities: Record<Direction, number>;
  recommendation: Recommendation;
  signalWeight: number;
  positionMultiplier: number;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  riskScore: number;
  technicalIndicators: IndicatorValues;
  inputFeatures: Record<string, unknown>;
  marketConditions?: Record<string, unknown> | null;
  riskAssessment?: Record<string, unknown> | null;
  /** Wall-clock duration of computing this prediction, milliseconds (never a timestamp). */
  processingTimeMs: number;
  createdAt: number;
  actualOutcome?: Outcome | null;
  actualProfitLoss?: number | null;
  /** Price the trade closed at (take profit, stop loss or the horizon's close), once resolved. */
  exitPrice?: number | null;
  outcomeTime?: number | null;
  /** API predictions: the user the call was made for (uuid), when the caller says. */
  requestedBy?: string | null;
  /** API predictions: the key that made the call. */
  apiKeyId?: string | null;
}

/** The result of walking a signal forward through later candles (domain/barrier.ts). */
export interface OutcomeRecord {
  predictionId: string;
  outcome: Outcome;
  exitPrice: number;
  profitLossPct: number;
  outcomeTime: number;
}

/** Ordering key of the signal stream: (candleTime, symbol, timeframe, modelVersion, id). */
export interface PredictionCursor {
  candleTime: number;
  symbol: string;
  timeframe: string;
  modelVersion: string;
  id: string;
}

/** Position of a signal in the stream: signals are totally ordered by this key. */
export function cursorOf(s: Pick<PredictionRecord, 'candleTime' | 'symbol' | 'timeframe' | 'modelVersion' | 'id'>): PredictionCursor {
  return { candleTime: s.candleTime, symbol: s.symbol, timeframe: s.timeframe, modelVersion: s.modelVersion, id: s.id };
}

/** Total order of the signal stream: candle time, then symbol, timeframe, model version, id. */
export function compareCursors(a: PredictionCursor, b: PredictionCursor): number {
  if (a.candleTime !== b.candleTime) return a.candleTime < b.candleTime ? -1 : 1;
  for (const k of ['symbol', 'timeframe', 'modelVersion', 'id'] as const) {
    if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
  }
  return 0;
}
