/**
 * The drift reference a model carries in its metadata (DESIGN.md "Drift"), written at training:
 *
 * - features: per model feature, values in the TRANSFORMED space (transforms.ts: stationary, before
 *   z-scoring and weights; what SymbolFeatureState.latestTransformed() gives live) from the rows the
 *   training windows read: an evenly spaced sample of at most `maxValues` (for Kolmogorov–Smirnov)
 *   and 11 quantile edges (min, q10 … q90, max: the 10 bins of PSI) over all those rows.
 * - predictions: the test window's predicted class mix and a sample of the model's confidence (its
 *   largest probability), with the same 11 quantile edges (prediction drift PSI).
 * Values are rounded to 7 significant digits (they come from float32 rows).
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import { CLASSES, NUM_CLASSES, argmaxAt } from './classes.ts';
import type { TrainingSet } from './training-set.ts';
import { trainingRows } from './training-set.ts';

const COLS = INDICATOR_COLUMNS.length;
export const REFERENCE_BINS = 10;
export const DEFAULT_REFERENCE_VALUES = 2000;

export interface FeatureReference {
  space: 'transformed';
  /** Rows the statistics cover (the training windows' rows). */
  rows: number;
  samples: Record<string, number[]>;
  /** 11 edges per feature: min, the 9 inner deciles, max. */
  edges: Record<string, number[]>;
}

export interface PredictionReference {
  samples: number;
  classMix: Record<(typeof CLASSES)[number], number>;
  confidence: number[];
  confidenceEdges: number[];
}

const round = (x: number) => Number(x.toPrecision(7));

/** Quantile edges at 0, 1/bins, …, 1 of sorted values (linear interpolation, numpy's default). */
export function quantileEdges(sorted: Float64Array, bins = REFERENCE_BINS): number[] {
  if (sorted.length === 0) return [];
  return Array.from({ length: bins + 1 }, (_, k) => {
    const pos = (k / bins) * (sorted.length - 1);
    const lo = Math.floor(pos);
    const hi = Math.min(sorted.length - 1, lo + 1);
    return round(sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo));
  });
}

function evenSample(values: Float64Array, max: number): number[] {
  if (values.length <= max) return Array.from(values, round);
  return Array.from({ length: max }, (_, k) => round(values[Math.floor((k * values.length) / max)]!));
}

export function featureReference(set: TrainingSet, maxValues = DEFAULT_REFERENCE_VALUES): FeatureReference {
  const rows = trainingRows(set);
  const ref: FeatureReference = { space: 'transformed', rows: rows.length, samples: {}, edges: {} };
  for (const name of set.pipeline.features) {
    const col = INDICATOR_COLUMNS.indexOf(name);
    const values = Float64Array.from(rows, (r) => set.transformed[r * COLS + col]!);
    ref.samples[name] = evenSample(values, maxValues);
    ref.edges[name] = quantileEdges(values.slice().sort());
  }
  return ref;
}

/** From softmax rows [n × 3] of the test window (rows of NaN, for samples a model skipped, are left out). */
export function predictionReference(probs: Float32Array, maxValues = DEFAULT_REFERENCE_VALUES): PredictionReference {
  const n = Math.floor(probs.length / NUM_CLASSES);
  const counts = [0, 0, 0];
  const conf: number[] = [];
  for (let k = 0; k < n; k++) {
    if (Number.isNaN(probs[k * NUM_CLASSES]!)) continue;
    const c = argmaxAt(probs, k);
    counts[c]!++;
    conf.push(probs[k * NUM_CLASSES + c]!);
  }
  const total = conf.length;
  const values = Float64Array.from(conf);
  return {
    samples: total,
    classMix: { BUY: total ? counts[0]! / total : 0, SELL: total ? counts[1]! / total : 0, HOLD: total ? counts[2]! / total : 0 },
    confidence: evenSample(values, maxValues),
    confidenceEdges: quantileEdges(values.slice().sort()),
  };
}
