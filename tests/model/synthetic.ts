/**
 * Small learnable datasets for the model tests: features drawn from a seeded PRNG, the label a
 * function of the last timestep's first feature (so a net can learn it and the classes are mixed).
 */
import { denseDataset, type WindowDataset } from '../../src/model/dataset.ts';
import { mulberry32 } from '../../src/model/seed.ts';
import type { TrainInput } from '../../src/model/train-loop.ts';
import type { TrainingJobOptions } from '../../src/model/training-job.ts';

export function syntheticDataset(n: number, timesteps: number, features: number, seed = 7): WindowDataset {
  const rand = mulberry32(seed);
  const x = new Float32Array(n * timesteps * features);
  for (let i = 0; i < x.length; i++) x[i] = rand() * 2 - 1;
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i * timesteps * features + (timesteps - 1) * features]!;
    labels[i] = v > 0.3 ? 0 : v < -0.3 ? 1 : 2;
  }
  const times = Float64Array.from({ length: n }, (_, i) => i * 300_000);
  return denseDataset(x, timesteps, features, labels, times);
}

export const range = (from: number, to: number) => Int32Array.from({ length: to - from }, (_, i) => from + i);

/** A fit of a 320-sample dataset (256 train, 64 validation) with 8 units: well under a second. */
export const smallTrainInput = (dataset: WindowDataset, seed: number, extra: Partial<TrainInput> = {}): TrainInput => ({
  dataset,
  trainRows: range(0, 256),
  valRows: range(256, 320),
  classWeights: [1, 1.5, 0.8],
  seed,
  backend: 'wasm',
  hyper: { units: 8, batchSize: 64, maxEpochs: 3, patience: 2 },
  ...extra,
});

/** A training job small enough for a test (T=8, 4 units, 2 epochs) on ~700 candles per symbol. */
export const SMALL_TRAINING: TrainingJobOptions = {
  timesteps: 8,
  hyper: { units: 4, maxEpochs: 2, batchSize: 64 },
  split: { minSamples: { train: 100, val: 30, test: 30 } },
  importanceSamples: 100,
};
