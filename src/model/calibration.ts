/**
 * Calibration of class probabilities (DESIGN.md "Models"): is a confidence of 0.7 right 70% of the
 * time? Figures over a flat [n × 3] softmax output (BUY, SELL, HOLD) and the labels (class indices):
 *   brier  multi-class Brier score, mean over samples of Σ_c (p_c − y_c)² (0 perfect, 2 worst);
 *   bins   reliability diagram of the top-label confidence: RELIABILITY_BINS equal-width bins over
 *          [0, 1]; per bin the count, mean confidence and accuracy (argmax = label);
 *   ece    expected calibration error, Σ_b (n_b / N) · |accuracy_b − confidence_b|.
 * Rows that are NaN (samples a model could not window) are skipped.
 *
 * Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): p_T =
 * softmax(log p / T); T > 1 softens an over-confident model, T < 1 sharpens, the argmax never
 * changes. T is fitted on the validation window by minimising the negative log-likelihood
 * (golden-section search over log T, which is unimodal for this one-parameter family).
 */
import { NUM_CLASSES } from './classes.ts';

export const RELIABILITY_BINS = 10;
/** The range searched for T, and the search tolerance on log T. */
export const TEMPERATURE_RANGE = [0.05, 20] as const;
const LOG_T_TOLERANCE = 1e-4;
const EPS = 1e-12;

export interface ReliabilityBin {
  from: number;
  to: number;
  count: number;
  /** Mean top-label confidence in the bin (0 when empty). */
  confidence: number;
  /** Fraction whose argmax was the label (0 when empty). */
  accuracy: number;
}

export interface CalibrationReport {
  samples: number;
  brier: number;
  ece: number;
  bins: ReliabilityBin[];
}

/** Row `k` of `probs` at temperature T, written to `out` (length 3). */
function scaledRow(probs: ArrayLike<number>, k: number, temperature: number, out: Float64Array): void {
  const o = k * NUM_CLASSES;
  let max = -Infinity;
  for (let c = 0; c < NUM_CLASSES; c++) {
    out[c] = Math.log(Math.max(probs[o + c]!, EPS)) / temperature;
    if (out[c]! > max) max = out[c]!;
  }
  let sum = 0;
  for (let c = 0; c < NUM_CLASSES; c++) sum += out[c] = Math.exp(out[c]! - max);
  for (let c = 0; c < NUM_CLASSES; c++) out[c]! /= sum;
}

/** Every row at temperature T (NaN rows stay NaN); T = 1 returns a copy. */
export function applyTemperature(probs: Float32Array, temperature: number): Float32Array {
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new RangeError(`temperature must be a positive number, got ${temperature}`);
  const n = Math.floor(probs.length / NUM_CLASSES);
  const out = new Float32Array(probs.length);
  const row = new Float64Array(NUM_CLASSES);
  for (let k = 0; k < n; k++) {
    if (Number.isNaN(probs[k * NUM_CLASSES]!)) {
      out.fill(Number.NaN, k * NUM_CLASSES, (k + 1) * NUM_CLASSES);
      continue;
    }
    scaledRow(probs, k, temperature, row);
    for (let c = 0; c < NUM_CLASSES; c++) out[k * NUM_CLASSES + c] = row[c]!;
  }
  return out;
}

/** One row of probabilities (BUY, SELL, HOLD order) at temperature T. */
export function temperatureRow(p: readonly [number, number, number], temperature: number): [number, number, number] {
  const out = new Float64Array(NUM_CLASSES);
  scaledRow(p, 0, temperature, out);
  return [out[0]!, out[1]!, out[2]!];
}

/** Mean negative log-likelihood of the labels at temperature T. */
export function negLogLikelihood(probs: ArrayLike<number>, labels: ArrayLike<number>, temperature: number): number {
  const n = labels.length;
  const row = new Float64Array(NUM_CLASSES);
  let sum = 0;
  let used = 0;
  for (let k = 0; k < n; k++) {
    if (Number.isNaN(probs[k * NUM_CLASSES]!)) continue;
    scaledRow(probs, k, temperature, row);
    sum -= Math.log(Math.max(row[labels[k]!]!, EPS));
    used++;
  }
  return used > 0 ? sum / used : 0;
}

/** The T in TEMPERATURE_RANGE minimising the NLL of `labels` (1 with no usable rows). */
export function fitTemperature(probs: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (labels.length === 0) return 1;
  let a = Math.log(TEMPERATURE_RANGE[0]);
  let b = Math.log(TEMPERATURE_RANGE[1]);
  const phi = (Math.sqrt(5) - 1) / 2;
  const f = (logT: number) => negLogLikelihood(probs, labels, Math.exp(logT));
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = f(c);
  let fd = f(d);
  while (b - a > LOG_T_TOLERANCE) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = f(d);
    }
  }
  return Math.exp((a + b) / 2);
}

export function calibrationReport(probs: ArrayLike<number>, labels: ArrayLike<number>, binCount = RELIABILITY_BINS): CalibrationReport {
  const bins = Array.from({ length: binCount }, (_, b) => ({ from: b / binCount, to: (b + 1) / binCount, count: 0, confSum: 0, hits: 0 }));
  let brier = 0;
  let n = 0;
  for (let k = 0; k < labels.length; k++) {
    const o = k * NUM_CLASSES;
    if (Number.isNaN(probs[o]!)) continue;
    const y = labels[k]!;
    let top = 0;
    for (let c = 0; c < NUM_CLASSES; c++) {
      brier += (probs[o + c]! - (c === y ? 1 : 0)) ** 2;
      if (probs[o + c]! > probs[o + top]!) top = c;
    }
    const conf = probs[o + top]!;
    const bin = bins[Math.min(binCount - 1, Math.floor(conf * binCount))]!;
    bin.count++;
    bin.confSum += conf;
    if (top === y) bin.hits++;
    n++;
  }
  let ece = 0;
  const out = bins.map((b) => {
    const confidence = b.count ? b.confSum / b.count : 0;
    const accuracy = b.count ? b.hits / b.count : 0;
    if (n) ece += (b.count / n) * Math.abs(accuracy - confidence);
    return { from: b.from, to: b.to, count: b.count, confidence, accuracy };
  });
  return { samples: n, brier: n ? brier / n : 0, ece, bins: out };
}
