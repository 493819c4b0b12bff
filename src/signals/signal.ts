/**
 * The Signal: the wire shape subscribers, the HTTP API and `signalbase watch` see (DESIGN.md "Signal").
 * The store keeps it as a PredictionRecord; these two functions are the only mapping between them.
 */
import type { IndicatorValues } from '../features/columns.ts';
import type { Timeframe } from '../ingest/timeframe.ts';
import type { Direction, PredictionCursor, PredictionRecord, Recommendation } from '../store/types.ts';

export interface Signal {
  id: string;
  symbol: string;
  timeframe: Timeframe;
  candle_time: string; // ISO 8601 open time of the closed candle
  model_version: string; // 'rules' before any model is active
  predicted_direction: Direction;
  confidence_score: number;
  probabilities: Record<Direction, number>;
  recommendation: Recommendation;
  signal_weight: number;
  position_multiplier: number;
  entry_price: number;
  stop_loss: number | null;
  take_profit: number | null;
  risk_score: number;
  technical_indicators: IndicatorValues;
  created_at: string;
}

export function toSignal(p: PredictionRecord): Signal {
  return {
    id: p.id,
    symbol: p.symbol,
    timeframe: p.timeframe,
    candle_time: new Date(p.candleTime).toISOString(),
    model_version: p.modelVersion,
    predicted_direction: p.predictedDirection,
    confidence_score: p.confidenceScore,
    probabilities: p.probabilities,
    recommendation: p.recommendation,
    signal_weight: p.signalWeight,
    position_multiplier: p.positionMultiplier,
    entry_price: p.entryPrice,
    stop_loss: p.stopLoss,
    take_profit: p.takeProfit,
    risk_score: p.riskScore,
    technical_indicators: p.technicalIndicators,
    created_at: new Date(p.createdAt).toISOString(),
  };
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
