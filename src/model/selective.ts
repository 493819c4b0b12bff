/**
 * Selective signals (DESIGN.md "Models"): a model emits BUY or SELL only when the calibrated
 * probability of that side clears its threshold; below it the signal is HOLD, its probabilities
 * still shown. The selection (temperature and threshold) is fitted on the VALIDATION window, never
 * the test window, travels with the model in its artifact metadata (`selection`), and the live
 * policy (signals/policy.ts) applies it through `selectionThresholds`, the same rule the test
 * figures are computed with here (`selectivePredictions`).
 *
 * Threshold: the value of THRESHOLD_GRID that maximises the net expectancy (mean net P/L per trade
 * after fees) of the validation trades, among those leaving at least MIN_GATE_TRADES trades; ties
 * go to the lower threshold (more trades). With no such value it is 0 (plain argmax), and the gate
 * then judges the model on what it does without selection.
 *
 * Models trained before selection existed have no `selection` and keep the policy's
 * MODEL_THRESHOLDS, as before.
 */
import type { Direction } from '../domain/prediction.ts';
import { applyTemperature, fitTemperature, temperatureRow } from './calibration.ts';
import { chooseDirection, MODEL_THRESHOLDS, type PolicyThresholds } from '../domain/decision.ts';
import { NUM_CLASSES, probabilitiesAt } from './classes.ts';
import { tradeReturns } from './evaluate.ts';
import { MIN_GATE_TRADES } from './gate.ts';

export const THRESHOLD_GRID: readonly number[] = [0, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9];
/** A model's selective rule (fitSelection fits it; it travels in the artifact metadata). */
export interface Selection {
  /** Temperature applied to the softmax before anything else (1: none). */
  temperature: number;
  /** Calibrated probability a BUY/SELL needs; 0: plain argmax. */
  threshold: number;
}

/** The policy thresholds of a selection: its threshold as the confidence floor, no margin rule. */
export function selectionThresholds(s: Selection): PolicyThresholds {
  return { minConfidence: s.threshold, minMargin: 0, strongConfidence: MODEL_THRESHOLDS.strongConfidence };
}

/** Probabilities at the selection's temperature. */
export function calibrated(p: Record<Direction, number>, s: Selection): Record<Direction, number> {
  if (s.temperature === 1) return p;
  const [BUY, SELL, HOLD] = temperatureRow([p.BUY, p.SELL, p.HOLD], s.temperature);
  return { BUY, SELL, HOLD };
}


export interface ThresholdRow {
  threshold: number;
  trades: number;
  /** Mean net P/L per validation trade, percent (0 with no trade). */
  expectancy: number;
}

export interface FittedSelection extends Selection {
  /** The validation figures the threshold was chosen from. */
  validation: { samples: number; grid: ThresholdRow[] };
}

/** Directions of calibrated rows under `threshold`; NaN rows (not windowed) are HOLD. */
export function selectivePredictions(calibrated: Float32Array, threshold: number): Direction[] {
  const t = selectionThresholds({ temperature: 1, threshold });
  const n = Math.floor(calibrated.length / NUM_CLASSES);
  return Array.from({ length: n }, (_, k) =>
    Number.isNaN(calibrated[k * NUM_CLASSES]!) ? 'HOLD' : chooseDirection(probabilitiesAt(calibrated, k), t, true).direction,
  );
}

export interface ValidationInput {
  /** Raw softmax rows of the validation samples [n × 3]. */
  probabilities: Float32Array;
  /** Their labels (class indices). */
  labels: ArrayLike<number>;
  buyPnlPct: ArrayLike<number>;
  sellPnlPct: ArrayLike<number>;
}

export function fitSelection(v: ValidationInput, opts: { temperature?: boolean; minTrades?: number } = {}): FittedSelection {
  const temperature = (opts.temperature ?? true) ? fitTemperature(v.probabilities, v.labels) : 1;
  const calibrated = applyTemperature(v.probabilities, temperature);
  const minTrades = opts.minTrades ?? MIN_GATE_TRADES;
  const grid = THRESHOLD_GRID.map((threshold): ThresholdRow => {
    const r = tradeReturns({ predicted: selectivePredictions(calibrated, threshold), buyPnlPct: v.buyPnlPct, sellPnlPct: v.sellPnlPct });
    return { threshold, trades: r.length, expectancy: r.length ? r.reduce((a, b) => a + b, 0) / r.length : 0 };
  });
  let best: ThresholdRow | null = null;
  for (const row of grid) if (row.trades >= minTrades && (!best || row.expectancy > best.expectancy)) best = row;
  return { temperature, threshold: best?.threshold ?? 0, validation: { samples: v.labels.length, grid } };
}

/** The selection recorded in a model's metadata, or null for models trained before it existed. */
export function selectionFromMetadata(meta: unknown): Selection | null {
  const s = (meta as { selection?: { temperature?: unknown; threshold?: unknown } } | null)?.selection;
  if (!s || typeof s.temperature !== 'number' || typeof s.threshold !== 'number') return null;
  if (!(s.temperature > 0) || !(s.threshold >= 0 && s.threshold < 1)) return null;
  return { temperature: s.temperature, threshold: s.threshold };
}
