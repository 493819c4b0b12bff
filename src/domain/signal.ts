/**
 * The Signal: the wire shape subscribers, the HTTP API and `signalbase watch` see (DESIGN.md "Signal").
 * The store keeps it as a PredictionRecord; toSignal is the only mapping between them.
 */
import type { IndicatorValues } from './indicators.ts';
import type { Timeframe } from './timeframe.ts';
import type { Direction, PredictionRecord, Recommendation } from './prediction.ts';

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
  /** The market's session at the candle (DESIGN.md "Feeds"): `london_new_york`, `closed`, `24h`...; null when unknown. Always set by toSignal; optional for producers of older shapes. */
  market_session?: string | null;
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
    market_session: marketSessionOf(p),
  };
}

/** The session the signal was made in: the store's column, kept in the record's market conditions. */
export function marketSessionOf(p: Pick<PredictionRecord, 'marketConditions'>): string | null {
  const s = p.marketConditions?.session;
  return typeof s === 'string' ? s : null;
}
