/**
 * How much a signal should count and how risky acting on it is: the signal weight, the position
 * multiplier and the risk score the policy publishes with every signal. Pure functions; the policy
 * (policy.ts) documents where each input comes from.
 *
 * - signal_weight = confidence × agreement, agreement of the weighted indicator consensus score
 *   s ∈ [−1, 1] with the direction: BUY (1 + s) / 2, SELL (1 − s) / 2, HOLD 1 − |s|. In [0, 1]:
 *   a confident signal the indicators also back weighs most.
 * - position_multiplier: 0 for HOLD (no position). For BUY/SELL, strength = (confidence − 1/3) / (2/3)
 *   clipped to [0, 1] (1/3 is an uninformative three-way split), base = 0.5 + strength ∈ [0.5, 1.5],
 *   times the volatility regime factor (low 1.2, normal 1, high 0.6: smaller positions when the
 *   market is unusually volatile), clipped to [0.5, 1.5].
 * - risk_score ∈ [0, 1] = 0.5 × stop risk + 0.2 × regime risk + 0.3 × (1 − confidence), where
 *   stop risk = d / (d + RISK_NORM_STOP_PCT) with d = the stop distance in percent of the entry
 *   (slAtrMult × ATR / close × 100; 0.5 at a 1 % stop, → 1 for wide stops; 1 when ATR is unknown),
 *   regime risk = low 0, normal 0.5, high 1. HOLD signals get the same score for the hypothetical
 *   stop, so the number always describes the market the signal was made in.
 */
import type { Direction } from '../domain/prediction.ts';
import type { Level } from '../features/summary.ts';

/** The stop distance (percent of entry) at which the stop-risk component is 0.5. */
export const RISK_NORM_STOP_PCT = 1;

export const REGIME_POSITION_FACTOR: Record<Level, number> = { low: 1.2, normal: 1, high: 0.6 };
export const REGIME_RISK: Record<Level, number> = { low: 0, normal: 0.5, high: 1 };

const clip = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/** Agreement in [0, 1] of a consensus score in [−1, 1] with a direction. */
export function agreement(direction: Direction, score: number): number {
  const s = clip(score, -1, 1);
  return direction === 'BUY' ? (1 + s) / 2 : direction === 'SELL' ? (1 - s) / 2 : 1 - Math.abs(s);
}

export function signalWeight(direction: Direction, confidence: number, consensusScore: number): number {
  return clip(confidence, 0, 1) * agreement(direction, consensusScore);
}

export function positionMultiplier(direction: Direction, confidence: number, regime: Level): number {
  if (direction === 'HOLD') return 0;
  const strength = clip((confidence - 1 / 3) / (2 / 3), 0, 1);
  return clip((0.5 + strength) * REGIME_POSITION_FACTOR[regime], 0.5, 1.5);
}

export interface RiskAssessment {
  /** slAtrMult × ATR in percent of the entry; null while ATR is warming up. */
  stop_distance_pct: number | null;
  stop_risk: number;
  volatility_regime: Level;
  regime_risk: number;
  uncertainty: number;
  risk_score: number;
}

export function assessRisk(args: {
  confidence: number;
  close: number;
  atr: number | null;
  slAtrMult: number;
  regime: Level;
}): RiskAssessment {
  const d = args.atr !== null && args.atr > 0 && args.close > 0 ? (100 * args.slAtrMult * args.atr) / args.close : null;
  const stopRisk = d === null ? 1 : d / (d + RISK_NORM_STOP_PCT);
  const regimeRisk = REGIME_RISK[args.regime];
  const uncertainty = 1 - clip(args.confidence, 0, 1);
  return {
    stop_distance_pct: d,
    stop_risk: stopRisk,
    volatility_regime: args.regime,
    regime_risk: regimeRisk,
    uncertainty,
    risk_score: clip(0.5 * stopRisk + 0.2 * regimeRisk + 0.3 * uncertainty, 0, 1),
  };
}
