/**
 * The direction rule of a signal (signals/policy.ts header, "Direction"): class probabilities →
 * BUY/SELL/HOLD with the model's or the rules' thresholds. On the domain floor because the ONNX
 * export check (model/onnx/check.ts) and the test-window scoring of selective signals
 * (model/selective.ts) must decide exactly as the policy does, and model/ does not import
 * signals/. signals/policy.ts re-exports everything here.
 */
import { SignalbaseError } from './errors.ts';
import type { Direction } from './prediction.ts';

export interface PolicyThresholds {
  /** A BUY/SELL whose probability is below this becomes HOLD. */
  minConfidence: number;
  /** A BUY/SELL leading the runner-up class by less than this becomes HOLD. */
  minMargin: number;
  /** BUY/SELL at or above this confidence is recommended STRONG_BUY / STRONG_SELL. */
  strongConfidence: number;
}

export const MODEL_THRESHOLDS: Readonly<PolicyThresholds> = Object.freeze({ minConfidence: 0.45, minMargin: 0.1, strongConfidence: 0.7 });
export const RULES_THRESHOLDS: Readonly<PolicyThresholds> = Object.freeze({ minConfidence: 0, minMargin: 0, strongConfidence: 0.7 });

/** The policy refuses inputs that would publish a meaningless signal. */
export class PolicyInputError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown>) {
    super('POLICY_INPUT_INVALID', message, { context });
  }
}

export type DemotionReason = 'tie' | 'low_confidence' | 'low_margin' | 'no_atr';

export interface DirectionChoice {
  direction: Direction;
  confidence: number;
  /** The normalised probabilities (sum 1). */
  probabilities: Record<Direction, number>;
  /** The argmax before the gate. */
  argmax: Direction;
  /** Why a BUY/SELL argmax became HOLD; null when it was not demoted. */
  demoted: DemotionReason | null;
}

const DIRECTIONS: readonly Direction[] = ['BUY', 'SELL', 'HOLD'];

export function normaliseProbabilities(p: Record<Direction, number>): Record<Direction, number> {
  const values = DIRECTIONS.map((d) => p[d]);
  if (!values.every((v) => typeof v === 'number' && Number.isFinite(v) && v >= 0)) {
    throw new PolicyInputError(`probabilities must be finite and non-negative, got ${JSON.stringify(p)}`, { probabilities: p });
  }
  const sum = values[0]! + values[1]! + values[2]!;
  if (!(sum > 0)) throw new PolicyInputError('probabilities sum to 0', { probabilities: p });
  return { BUY: p.BUY / sum, SELL: p.SELL / sum, HOLD: p.HOLD / sum };
}

/** Direction and confidence from class probabilities (rules in the header). */
export function chooseDirection(raw: Record<Direction, number>, t: PolicyThresholds, atrAvailable: boolean): DirectionChoice {
  const p = normaliseProbabilities(raw);
  let argmax: Direction;
  let demoted: DemotionReason | null = null;
  if (p.BUY === p.SELL && p.BUY >= p.HOLD) {
    argmax = 'HOLD';
    demoted = 'tie';
  } else {
    const lead: Direction = p.BUY > p.SELL ? 'BUY' : 'SELL';
    argmax = p[lead] >= p.HOLD ? lead : 'HOLD';
  }
  let direction = argmax;
  if (argmax !== 'HOLD') {
    const other = argmax === 'BUY' ? p.SELL : p.BUY;
    const runnerUp = Math.max(other, p.HOLD);
    if (p[argmax] < t.minConfidence) demoted = 'low_confidence';
    else if (p[argmax] - runnerUp < t.minMargin) demoted = 'low_margin';
    else if (!atrAvailable) demoted = 'no_atr';
    if (demoted) direction = 'HOLD';
  }
  return { direction, confidence: p[direction], probabilities: p, argmax, demoted };
}
