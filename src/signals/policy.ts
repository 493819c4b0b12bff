/**
 * The signal policy (DESIGN.md "Signal"): turns class probabilities (from the model, or from the
 * rule consensus before any model is active) and the closed candle's indicators into the signal
 * that is published and stored. Pure: the same input gives the same record, apart from `createdAt`
 * (read from the clock passed in) and the measured `processingTimeMs` passed in.
 *
 * Direction (`chooseDirection`):
 *   1. Probabilities are validated (finite, >= 0, positive sum) and normalised to sum to 1.
 *   2. Argmax. When BUY and SELL tie for the maximum the market has no direction: HOLD. A BUY or
 *      SELL tying with HOLD wins the argmax (the margin rule below then decides).
 *   3. A BUY/SELL is demoted to HOLD when its probability is below `minConfidence`, or when its lead
 *      over the runner-up class is below `minMargin`, or when ATR is not available yet (no
 *      barriers can be set, so the trade could not be tracked).
 *   Model signals use MODEL_THRESHOLDS (0.45 and 0.10). Rule signals use RULES_THRESHOLDS (0 and 0):
 *   the consensus already has its dead zone (|score| < 0.2 is HOLD), and gating twice would make
 *   the live "rules" signals disagree with the rule-consensus baseline of the model report. With
 *   RULES_THRESHOLDS and ATR available, the policy's direction equals the consensus direction.
 *   A model with a selection (model/selective.ts: temperature and threshold fitted on its validation
 *   window) is served with its calibrated probabilities and `selectionThresholds` instead: a BUY/SELL
 *   needs its calibrated probability at or above the threshold, no margin rule. Models without one
 *   (trained before selection existed) keep MODEL_THRESHOLDS.
 * Confidence = the normalised probability of the chosen class (for a demoted signal: of HOLD).
 * Recommendation: STRONG_BUY / STRONG_SELL when confidence >= `strongConfidence` (0.70), else BUY /
 *   SELL; HOLD for HOLD.
 * Stop loss / take profit: `barrierLevels` at the candle's close with ATR(14), the very numbers the
 *   outcome tracker and the label builder use (domain/barrier.ts); null for HOLD.
 * signal_weight, position_multiplier, risk_score: signals/sizing.ts.
 * Id: deterministic from (symbol, timeframe, candle_time, model_version) (signals/prediction-id.ts).
 * Symbol and timeframe are the candle's own.
 */
import { barrierLevels, checkParams, type BarrierParams } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import { chooseDirection, MODEL_THRESHOLDS, normaliseProbabilities, PolicyInputError, RULES_THRESHOLDS, type PolicyThresholds } from '../domain/decision.ts';
import type { IndicatorValues } from '../domain/indicators.ts';
import type { Direction, PredictionRecord, PredictionType, Recommendation } from '../domain/prediction.ts';
import { consensus as ruleConsensus, type ConsensusResult } from '../features/consensus.ts';
import type { TechnicalSummary } from '../features/summary.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { calibrated, selectionThresholds, type Selection } from '../model/selective.ts';
import { predictionId } from './prediction-id.ts';
import { assessRisk, positionMultiplier, signalWeight } from './sizing.ts';

export const RULES_MODEL_VERSION = 'rules';

export {
  chooseDirection,
  MODEL_THRESHOLDS,
  normaliseProbabilities,
  PolicyInputError,
  RULES_THRESHOLDS,
  type DemotionReason,
  type DirectionChoice,
  type PolicyThresholds,
} from '../domain/decision.ts';
export { calibrated, selectionThresholds, type Selection } from '../model/selective.ts';

export function recommendationFor(direction: Direction, confidence: number, strongConfidence: number): Recommendation {
  if (direction === 'HOLD') return 'HOLD';
  const strong = confidence >= strongConfidence;
  return direction === 'BUY' ? (strong ? 'STRONG_BUY' : 'BUY') : strong ? 'STRONG_SELL' : 'SELL';
}

/**
 * Probabilities of the rule fallback: the consensus's own (never negative, they sum to 1 and their
 * argmax is its direction; features/consensus.ts guarantees it and its test checks every real candle).
 */
export function rulesProbabilities(c: ConsensusResult): Record<Direction, number> {
  return normaliseProbabilities(c.probabilities);
}

export interface PolicyInput {
  /** The closed candle the signal is computed on; entry = its close. */
  candle: Candle;
  indicators: IndicatorValues;
  /** Over BUY / SELL / HOLD; normalised here. */
  probabilities: Record<Direction, number>;
  /** The active model's version, or RULES_MODEL_VERSION. */
  modelVersion: string;
  weights: IndicatorWeights;
  barrier: BarrierParams;
  clock: Clock;
  /** Measured duration of computing this prediction, ms (never a timestamp). */
  processingTimeMs: number;
  predictionType?: PredictionType;
  /** Default: RULES_THRESHOLDS for the rules version, the selection's, else MODEL_THRESHOLDS. */
  thresholds?: PolicyThresholds;
  /** The model's selective rule; null/omitted for rules and for models trained without one. */
  selection?: Selection | null;
  /** The rule consensus on this candle, when the caller already has it. */
  consensus?: ConsensusResult;
  /** Technical summary of this candle (market context, volatility regime). */
  summary?: TechnicalSummary | null;
  /** What the model read (feature names, window), stored as input_features. */
  inputFeatures?: Record<string, unknown>;
}

/** The signal for one closed candle, ready to publish (toSignal) and persist. */
export function decideSignal(input: PolicyInput): PredictionRecord {
  const { candle, indicators, barrier } = input;
  checkParams(barrier);
  if (!(Number.isFinite(input.processingTimeMs) && input.processingTimeMs >= 0 && input.processingTimeMs < 86_400_000)) {
    throw new PolicyInputError(`processingTimeMs must be a duration in [0, 1 day) ms, got ${input.processingTimeMs}`, {
      processingTimeMs: input.processingTimeMs,
    });
  }
  const isRules = input.modelVersion === RULES_MODEL_VERSION;
  const selection = isRules ? null : (input.selection ?? null);
  const thresholds = input.thresholds ?? (isRules ? RULES_THRESHOLDS : selection ? selectionThresholds(selection) : MODEL_THRESHOLDS);
  const atr = indicators.atr_value;
  const atrAvailable = atr !== null && Number.isFinite(atr) && atr > 0;
  const probabilities = selection ? calibrated(normaliseProbabilities(input.probabilities), selection) : input.probabilities;
  const choice = chooseDirection(probabilities, thresholds, atrAvailable);
  const { direction, confidence } = choice;
  const cons = input.consensus ?? ruleConsensus(indicators, candle, input.weights);
  const regime = input.summary?.volatility ?? 'normal';

  let stopLoss: number | null = null;
  let takeProfit: number | null = null;
  if (direction !== 'HOLD') {
    ({ stopLoss, takeProfit } = barrierLevels(direction, candle.close, atr!, barrier));
  }
  const risk = assessRisk({ confidence, close: candle.close, atr: atrAvailable ? atr : null, slAtrMult: barrier.slAtrMult, regime });
  const s = input.summary;

  return {
    id: predictionId(candle.symbol, candle.timeframe, candle.openTime, input.modelVersion),
    symbol: candle.symbol,
    timeframe: candle.timeframe,
    candleTime: candle.openTime,
    modelVersion: input.modelVersion,
    predictionType: input.predictionType ?? 'SIGNAL',
    predictedDirection: direction,
    confidenceScore: confidence,
    probabilities: choice.probabilities,
    recommendation: recommendationFor(direction, confidence, thresholds.strongConfidence),
    signalWeight: signalWeight(direction, confidence, cons.score),
    positionMultiplier: positionMultiplier(direction, confidence, regime),
    entryPrice: candle.close,
    stopLoss,
    takeProfit,
    riskScore: risk.risk_score,
    technicalIndicators: { ...indicators },
    inputFeatures: input.inputFeatures ?? {},
    marketConditions: {
      consensus_score: cons.score,
      consensus_direction: cons.direction,
      voters: cons.voters,
      ...(s
        ? {
            session: s.session,
            trend: s.trend,
            trend_strength: s.trendStrength,
            momentum: s.momentum,
            volatility: s.volatility,
            volume: s.volume,
            summary: s.text,
          }
        : {}),
    },
    riskAssessment: {
      ...risk,
      argmax: choice.argmax,
      demoted: choice.demoted,
      thresholds: { ...thresholds },
      ...(selection ? { selection: { ...selection } } : {}),
      barrier: { tp_atr_mult: barrier.tpAtrMult, sl_atr_mult: barrier.slAtrMult, horizon: barrier.horizon, fee_pct: barrier.feePct },
    },
    processingTimeMs: input.processingTimeMs,
    createdAt: input.clock.now(),
    actualOutcome: null,
    actualProfitLoss: null,
    exitPrice: null,
    outcomeTime: null,
  };
}
