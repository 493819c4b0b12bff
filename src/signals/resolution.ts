/**
 * What a resolved signal becomes: the outcome stored on the prediction (store.resolvePredictions),
 * the training sample (store.insertTrainingSamples) and the `outcome` event sent to websocket
 * subscribers. One function builds all three from the same numbers so they cannot disagree.
 *
 * Conventions:
 * - Times: the outcome time is the close time of the candle that resolved the signal (its open
 *   time + one timeframe): the moment the outcome became known. The duration in minutes is
 *   barsHeld × the timeframe (entry at the signal candle's close, exit at the resolving candle's).
 * - Trades (BUY / SELL): exit price, P/L (percent, net of fees) and excursions come from the
 *   barrier walk (barrier.ts). risk_reward_ratio = |take profit − entry| / |entry − stop|.
 *   performance_score ∈ [0, 1] = clip((R + 1) / (risk_reward_ratio + 1), 0, 1), where R is the P/L
 *   in units of the initial risk (P/L % / stop distance %): a stop-out scores about 0, a take
 *   profit about 1, an expiry in between by how much it made.
 * - HOLD (NO_TRADE): no position, so P/L 0 and exit price = the close of the resolving candle;
 *   max profit / max loss are the highest high and lowest low of the candles walked, in percent of
 *   the entry (how far the market moved while we stayed out); performance_score is 1 when the HOLD
 *   was right (holdWasCorrect's rule), 0 when not, null when it could not be judged (no ATR).
 */
import type { Outcome, OutcomeRecord, PredictionRecord } from '../domain/prediction.ts';
import { timeframeMs } from '../domain/timeframe.ts';
import type { TrainingSampleRecord } from '../store/types.ts';

/** The `data` of a websocket `{"type":"outcome"}` message. Field names follow the Signal's snake_case. */
export interface OutcomeMessage {
  [key: string]: unknown;
  prediction_id: string;
  symbol: string;
  timeframe: string;
  candle_time: string;
  model_version: string;
  predicted_direction: string;
  outcome: Outcome;
  /** For HOLD: whether staying out was right (null when it could not be judged); for trades: P/L > 0. */
  correct: boolean | null;
  entry_price: number;
  exit_price: number;
  profit_loss_pct: number;
  bars_held: number;
  duration_minutes: number;
  max_profit_pct: number;
  max_loss_pct: number;
  outcome_time: string;
}

export interface ResolvedSignal {
  outcome: OutcomeRecord;
  sample: TrainingSampleRecord;
  message: OutcomeMessage;
}

/** The walk's result, whichever kind of signal it was. */
export interface Resolution {
  outcome: Outcome;
  exitPrice: number;
  pnlPct: number;
  barsHeld: number;
  maxProfitPct: number;
  maxLossPct: number;
  /** Open time of the candle that resolved it. */
  exitCandleTime: number;
  /** HOLD only: whether staying out was right; null when unknown. */
  holdCorrect?: boolean | null;
}

const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

function tradeScore(p: PredictionRecord, r: Resolution): { performance: number | null; riskReward: number | null } {
  if (p.stopLoss === null || p.takeProfit === null) return { performance: null, riskReward: null };
  const risk = Math.abs(p.entryPrice - p.stopLoss);
  const reward = Math.abs(p.takeProfit - p.entryPrice);
  if (!(risk > 0)) return { performance: null, riskReward: null };
  const rr = reward / risk;
  const riskPct = (100 * risk) / p.entryPrice;
  const rMultiple = r.pnlPct / riskPct;
  return { performance: clip((rMultiple + 1) / (rr + 1), 0, 1), riskReward: rr };
}

export function buildResolution(p: PredictionRecord, r: Resolution): ResolvedSignal {
  const tf = timeframeMs(p.timeframe);
  const outcomeTime = r.exitCandleTime + tf;
  const durationMinutes = (r.barsHeld * tf) / 60_000;
  const hold = p.predictedDirection === 'HOLD';
  const { performance, riskReward } = hold
    ? { performance: r.holdCorrect === undefined || r.holdCorrect === null ? null : r.holdCorrect ? 1 : 0, riskReward: null }
    : tradeScore(p, r);
  const mc = p.marketConditions ?? {};

  const outcome: OutcomeRecord = {
    predictionId: p.id,
    outcome: r.outcome,
    exitPrice: r.exitPrice,
    profitLossPct: r.pnlPct,
    outcomeTime,
  };
  const sample: TrainingSampleRecord = {
    predictionId: p.id,
    symbol: p.symbol,
    timeframe: p.timeframe,
    candleTime: p.candleTime,
    signalType: p.predictedDirection,
    entryPrice: p.entryPrice,
    stopLoss: p.stopLoss,
    takeProfit: p.takeProfit,
    exitPrice: r.exitPrice,
    profitLoss: r.pnlPct,
    performanceScore: performance,
    indicators: p.technicalIndicators,
    marketSession: str(mc.session),
    trendDirection: str(mc.trend),
    volatilityRegime: str(mc.volatility),
    modelVersionUsed: p.modelVersion,
    predictionConfidence: p.confidenceScore,
    actualResult: r.outcome,
    status: r.outcome,
    tradeDurationMinutes: durationMinutes,
    maxProfit: r.maxProfitPct,
    maxLoss: r.maxLossPct,
    riskRewardRatio: riskReward,
  };
  const message: OutcomeMessage = {
    prediction_id: p.id,
    symbol: p.symbol,
    timeframe: p.timeframe,
    candle_time: new Date(p.candleTime).toISOString(),
    model_version: p.modelVersion,
    predicted_direction: p.predictedDirection,
    outcome: r.outcome,
    correct: hold ? (r.holdCorrect ?? null) : r.pnlPct > 0,
    entry_price: p.entryPrice,
    exit_price: r.exitPrice,
    profit_loss_pct: r.pnlPct,
    bars_held: r.barsHeld,
    duration_minutes: durationMinutes,
    max_profit_pct: r.maxProfitPct,
    max_loss_pct: r.maxLossPct,
    outcome_time: new Date(outcomeTime).toISOString(),
  };
  return { outcome, sample, message };
}
