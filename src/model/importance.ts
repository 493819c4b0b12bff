/**
 * Permutation importance (Breiman 2001; scikit-learn's permutation_importance): how much worse the
 * model does when one feature's values are shuffled across samples, breaking its link to the label
 * while keeping its distribution. For windows, a sample's whole sequence of that feature (all T
 * timesteps) moves with it, so the feature's own dynamics stay intact.
 *
 *   importance_j = loss(model, X with feature j permuted) − loss(model, X)
 *   loss         = mean cross-entropy −log p[label] (p clipped to [1e-7, 1 − 1e-7], as in training)
 *
 * Cross-entropy rather than macro F1: it moves with every probability, not only when an argmax flips,
 * so it ranks features even for a cautious model; the F1 drop is reported beside it. One permutation
 * per feature from a PRNG seeded by hash(seed, feature name): the same seed and model give the same
 * numbers. Larger is more important; ≈ 0 or negative means the model does not rely on the feature.
 */
import { yieldToEventLoop } from '../domain/timing.ts';
import type { WindowPredictor } from './batcher.ts';
import { CLASSES, NUM_CLASSES, argmaxAt, classOf } from './classes.ts';
import { gatherWindows, type WindowDataset } from './dataset.ts';
import { evaluatePredictions } from './evaluate.ts';
import { deriveSeed, mulberry32, shuffleInPlace } from './seed.ts';
import { predictSamples, type PredictOptions } from './training-eval.ts';

const EPS = 1e-7;

export interface ImportanceOptions extends PredictOptions {
  seed: number;
  /** At most this many samples, evenly spaced over the given ones (time order kept). Default 3000. */
  maxSamples?: number;
  onFeature?: (done: number, total: number) => void;
}

export interface Score {
  loss: number;
  f1Macro: number;
}

export interface ImportanceResult {
  metric: 'cross_entropy_increase';
  /** Per feature name: permuted loss − baseline loss. */
  importance: Record<string, number>;
  /** Per feature name: the scores with that feature permuted. */
  permuted: Record<string, Score>;
  baseline: Score;
  samples: number;
  seed: number;
}

function score(probs: Float32Array, labels: Uint8Array): Score {
  const n = labels.length;
  let ce = 0;
  for (let k = 0; k < n; k++) {
    const p = probs[k * NUM_CLASSES + labels[k]!]!;
    ce -= Math.log(Math.min(1 - EPS, Math.max(EPS, p)));
  }
  const zeros = new Float64Array(n);
  const f1Macro = evaluatePredictions({
    actual: Array.from(labels, (l) => classOf(l)),
    predicted: Array.from({ length: n }, (_, k) => CLASSES[argmaxAt(probs, k)]),
    buyPnlPct: zeros,
    sellPnlPct: zeros,
  }).metrics.f1Macro;
  return { loss: n > 0 ? ce / n : 0, f1Macro };
}

/** Evenly spaced subset of `samples` of at most `max` entries (all of them when they fit). */
export function evenSubset(samples: Int32Array, max: number): Int32Array {
  if (samples.length <= max) return samples;
  return Int32Array.from({ length: max }, (_, k) => samples[Math.floor((k * samples.length) / max)]!);
}

export async function permutationImportance(
  predictor: WindowPredictor,
  ds: WindowDataset,
  samples: Int32Array,
  opts: ImportanceOptions,
): Promise<ImportanceResult> {
  const chosen = evenSubset(samples, opts.maxSamples ?? 3000);
  const n = chosen.length;
  const { timesteps: T, featureCount: F } = ds;
  const labels = Uint8Array.from(chosen, (s) => ds.labels[s]!);
  // The chosen windows as one dense [n, T, F] block, and a scratch copy to permute a column in.
  const dense = gatherWindows(ds, chosen, 0, n);
  const denseDs: WindowDataset = {
    ...ds,
    rows: dense,
    ends: Int32Array.from({ length: n }, (_, k) => k * T + T - 1),
    labels,
    times: new Float64Array(n),
  };
  const all = Int32Array.from({ length: n }, (_, k) => k);
  const baseline = score(await predictSamples(predictor, denseDs, all, opts), labels);

  const scratch = new Float32Array(dense.length);
  const permutedDs: WindowDataset = { ...denseDs, rows: scratch };
  const importance: Record<string, number> = {};
  const permuted: Record<string, Score> = {};
  for (let j = 0; j < F; j++) {
    const name = ds.featureNames[j]!;
    const perm = shuffleInPlace(Int32Array.from(all), mulberry32(deriveSeed(opts.seed, `importance/${name}`)));
    scratch.set(dense);
    for (let k = 0; k < n; k++) {
      const src = perm[k]! * T * F;
      const dst = k * T * F;
      for (let t = 0; t < T; t++) scratch[dst + t * F + j] = dense[src + t * F + j]!;
    }
    const s = score(await predictSamples(predictor, permutedDs, all, opts), labels);
    permuted[name] = s;
    importance[name] = s.loss - baseline.loss;
    opts.onFeature?.(j + 1, F);
    await yieldToEventLoop();
  }
  return { metric: 'cross_entropy_increase', importance, permuted, baseline, samples: n, seed: opts.seed };
}
