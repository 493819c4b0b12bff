/**
 * One training run, in the calling thread. The worker (train-worker.ts) wraps it so the live loop
 * never waits; tests call it directly to count tensors.
 *
 * Reproducible: the initial weights, the per-epoch shuffle and the dropout masks all come from the
 * run seed (seed.ts); no Math.random anywhere. Same seed, data and backend → same weights hash.
 * A custom loop rather than model.fit: fit shuffles with Math.random and cannot mask dropout
 * reproducibly.
 *
 * Loss: class-weighted categorical cross-entropy, mean over the batch of w[label] × −log p[label]
 * (p clipped to [1e-7, 1 − 1e-7], as Keras does). The validation loss uses the same class weights,
 * so early stopping watches the objective being optimised (Keras would leave weights out of it).
 * Early stopping: stop after `patience` epochs without a validation loss below best − minDelta,
 * then restore the best epoch's weights.
 */
import * as tf from '@tensorflow/tfjs';
import type { Logger } from '../log.ts';
import { initBackend, type BackendName, type BackendPreference } from './backend.ts';
import { NUM_CLASSES } from './classes.ts';
import { gatherWindows, validateDataset, type WindowDataset } from './dataset.ts';
import { DatasetError, TrainingCancelledError, TrainingError } from './errors.ts';
import { buildLstm, DEFAULT_UNITS, weightsSha256 } from './lstm.ts';
import { modelToBytes, type ModelBytes } from './artifact.ts';
import { deriveSeed, mulberry32, shuffleInPlace } from './seed.ts';
import { classWeights } from './split.ts';

export interface HyperParams {
  units: number;
  /** Dropout rate on the LSTM output during training, 0 ≤ rate < 1. */
  dropout: number;
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  minDelta: number;
}

export const DEFAULT_HYPER: HyperParams = {
  units: DEFAULT_UNITS,
  dropout: 0.2,
  learningRate: 1e-3,
  batchSize: 256,
  maxEpochs: 10,
  patience: 3,
  minDelta: 1e-4,
};

export interface TrainInput {
  dataset: WindowDataset;
  /** Sample indices (split.ts). */
  trainRows: Int32Array;
  valRows: Int32Array;
  classWeights: readonly [number, number, number];
  seed: number;
  hyper?: Partial<HyperParams>;
  /** The backend to train on (a worker picks its own; in-process uses the thread's). */
  backend?: BackendPreference;
}

export interface EpochStats {
  epoch: number;
  loss: number;
  valLoss: number;
  ms: number;
}

export type TrainProgress =
  | { kind: 'batch'; epoch: number; epochs: number; batch: number; batches: number; loss: number; elapsedMs: number; etaMs: number }
  | { kind: 'epoch'; epoch: number; epochs: number; loss: number; valLoss: number; best: boolean; elapsedMs: number; etaMs: number };

export interface TrainResult {
  model: ModelBytes;
  weightsSha256: string;
  history: EpochStats[];
  /** 1-based epoch whose weights were kept. */
  bestEpoch: number;
  bestValLoss: number;
  epochsRun: number;
  stoppedEarly: boolean;
  backend: BackendName;
  seed: number;
  hyper: HyperParams;
  durationMs: number;
}

export interface TrainOptions {
  signal?: AbortSignal;
  onProgress?: (p: TrainProgress) => void;
  log?: Logger;
}

const EPS = 1e-7;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

function checkHyper(h: HyperParams): void {
  const ok =
    Number.isInteger(h.units) && h.units > 0 &&
    h.dropout >= 0 && h.dropout < 1 &&
    h.learningRate > 0 &&
    Number.isInteger(h.batchSize) && h.batchSize > 0 &&
    Number.isInteger(h.maxEpochs) && h.maxEpochs > 0 &&
    Number.isInteger(h.patience) && h.patience > 0 &&
    h.minDelta >= 0;
  if (!ok) throw new RangeError(`invalid training hyper-parameters: ${JSON.stringify(h)}`);
}

/** Weighted cross-entropy of probabilities `p` [n, 3] against one-hot `y`, summed (not averaged). */
function weightedCeSum(p: tf.Tensor2D, y: tf.Tensor2D, w: tf.Tensor1D): tf.Scalar {
  const ce = tf.neg(tf.sum(tf.mul(y, tf.log(tf.clipByValue(p, EPS, 1 - EPS))), 1));
  return tf.sum(tf.mul(ce, w));
}

export async function trainModel(input: TrainInput, opts: TrainOptions = {}): Promise<TrainResult> {
  const started = performance.now();
  const hyper: HyperParams = { ...DEFAULT_HYPER, ...input.hyper };
  checkHyper(hyper);
  const ds = input.dataset;
  validateDataset(ds);
  if (input.trainRows.length === 0 || input.valRows.length === 0) {
    throw new DatasetError('DATASET_TOO_SMALL', `training needs samples in both splits; got train ${input.trainRows.length}, validation ${input.valRows.length}`, {
      train: input.trainRows.length,
      val: input.valRows.length,
    });
  }
  const n = ds.labels.length;
  for (const [name, rows] of [
    ['train', input.trainRows],
    ['validation', input.valRows],
  ] as const) {
    const bad = rows.find((r) => !(r >= 0 && r < n));
    if (bad !== undefined) throw new DatasetError('DATASET_SHAPE', `${name} row ${bad} is not a sample index (0..${n - 1})`, { split: name, row: bad });
  }
  // Fails with DATASET_SINGLE_CLASS when every training label is the same.
  classWeights(ds.labels, input.trainRows);
  const backend = await initBackend(input.backend ?? 'auto', opts.log);
  const { timesteps: T, featureCount: F } = ds;
  const { units, batchSize: B, dropout } = hyper;
  const windowSize = T * F;
  const cw = Float32Array.from(input.classWeights);

  const shuffleRand = mulberry32(deriveSeed(input.seed, 'shuffle'));
  const dropoutRand = mulberry32(deriveSeed(input.seed, 'dropout'));
  const order = Int32Array.from(input.trainRows);
  const xBuf = new Float32Array(B * windowSize);
  const yBuf = new Float32Array(B * NUM_CLASSES);
  const wBuf = new Float32Array(B);
  const maskBuf = new Float32Array(B * units);

  /** Fills the label and weight buffers for samples[from..to). */
  const fillTargets = (samples: ArrayLike<number>, from: number, to: number) => {
    yBuf.fill(0);
    for (let k = 0; k < to - from; k++) {
      const label = ds.labels[samples[from + k]!]!;
      yBuf[k * NUM_CLASSES + label] = 1;
      wBuf[k] = cw[label]!;
    }
  };

  const model = buildLstm({ timesteps: T, features: F, units }, input.seed);
  const [lstm, dense] = model.layers as [tf.layers.Layer, tf.layers.Layer];
  const optimizer = tf.train.adam(hyper.learningRate);
  const batches = Math.ceil(order.length / B);
  const history: EpochStats[] = [];
  let best = { valLoss: Infinity, epoch: 0, weights: null as Float32Array[] | null };
  let sinceBest = 0;
  let batchesDone = 0;
  let stoppedEarly = false;

  const eta = (remainingBatches: number) => ((performance.now() - started) / Math.max(1, batchesDone)) * remainingBatches;

  const validationLoss = async (): Promise<number> => {
    let sum = 0;
    const rows = input.valRows;
    for (let from = 0; from < rows.length; from += B) {
      const to = Math.min(rows.length, from + B);
      const n = to - from;
      gatherWindows(ds, rows, from, to, xBuf);
      fillTargets(rows, from, to);
      const s = tf.tidy(() => {
        const x = tf.tensor3d(xBuf.subarray(0, n * windowSize), [n, T, F]);
        const p = model.predict(x, { batchSize: n }) as tf.Tensor2D;
        return weightedCeSum(p, tf.tensor2d(yBuf.subarray(0, n * NUM_CLASSES), [n, NUM_CLASSES]), tf.tensor1d(wBuf.subarray(0, n)));
      });
      sum += (await s.data())[0]!;
      s.dispose();
      if (opts.signal?.aborted) break;
    }
    return sum / rows.length;
  };

  try {
    for (let epoch = 1; epoch <= hyper.maxEpochs; epoch++) {
      const epochStart = performance.now();
      shuffleInPlace(order, shuffleRand);
      let lossSum = 0;
      for (let b = 0; b < batches; b++) {
        if (opts.signal?.aborted) throw new TrainingCancelledError('training cancelled', { epoch, batch: b });
        const from = b * B;
        const to = Math.min(order.length, from + B);
        const n = to - from;
        gatherWindows(ds, order, from, to, xBuf);
        fillTargets(order, from, to);
        if (dropout > 0) {
          // Inverted dropout: keep with probability 1 − rate, scale kept units by 1 / (1 − rate).
          const keep = 1 / (1 - dropout);
          for (let k = 0; k < n * units; k++) maskBuf[k] = dropoutRand() < dropout ? 0 : keep;
        }
        const loss = tf.tidy(() => {
          const x = tf.tensor3d(xBuf.subarray(0, n * windowSize), [n, T, F]);
          const y = tf.tensor2d(yBuf.subarray(0, n * NUM_CLASSES), [n, NUM_CLASSES]);
          const w = tf.tensor1d(wBuf.subarray(0, n));
          const mask = dropout > 0 ? tf.tensor2d(maskBuf.subarray(0, n * units), [n, units]) : null;
          return optimizer.minimize(() => {
            let h = lstm.apply(x, { training: true }) as tf.Tensor2D;
            if (mask) h = tf.mul(h, mask);
            const p = dense.apply(h) as tf.Tensor2D;
            return tf.div(weightedCeSum(p, y, w), n) as tf.Scalar;
          }, true)!;
        });
        const lossValue = (await loss.data())[0]!;
        loss.dispose();
        lossSum += lossValue * n;
        batchesDone++;
        opts.onProgress?.({
          kind: 'batch',
          epoch,
          epochs: hyper.maxEpochs,
          batch: b + 1,
          batches,
          loss: lossValue,
          elapsedMs: performance.now() - started,
          etaMs: eta(batches * hyper.maxEpochs - batchesDone),
        });
        // Let the event loop run: cancel messages, progress delivery, the worker's port.
        await yieldToEventLoop();
      }
      const valLoss = await validationLoss();
      if (opts.signal?.aborted) throw new TrainingCancelledError('training cancelled', { epoch });
      const loss = lossSum / order.length;
      history.push({ epoch, loss, valLoss, ms: performance.now() - epochStart });
      const improved = valLoss < best.valLoss - hyper.minDelta;
      if (improved) {
        best = { valLoss, epoch, weights: model.getWeights().map((t) => t.dataSync().slice() as Float32Array) };
        sinceBest = 0;
      } else {
        sinceBest++;
      }
      opts.onProgress?.({
        kind: 'epoch',
        epoch,
        epochs: hyper.maxEpochs,
        loss,
        valLoss,
        best: improved,
        elapsedMs: performance.now() - started,
        etaMs: eta(batches * (hyper.maxEpochs - epoch)),
      });
      opts.log?.info({ epoch, loss, valLoss, best: improved }, `epoch ${epoch}/${hyper.maxEpochs} loss ${loss.toFixed(4)} val_loss ${valLoss.toFixed(4)}`);
      if (!Number.isFinite(loss) || !Number.isFinite(valLoss)) {
        throw new TrainingError(`training diverged at epoch ${epoch} (loss ${loss}, val_loss ${valLoss}); check the feature scaling or lower the learning rate`, {
          epoch,
          loss,
          valLoss,
        });
      }
      if (sinceBest >= hyper.patience) {
        stoppedEarly = epoch < hyper.maxEpochs;
        break;
      }
    }
    // Restore the best epoch's weights (early stopping's restore_best_weights).
    if (best.weights) {
      const restored = model.getWeights().map((t, i) => tf.tensor(best.weights![i]!, t.shape, t.dtype));
      model.setWeights(restored);
      tf.dispose(restored);
    }
    const weightsHash = weightsSha256(model);
    const bytes = await modelToBytes(model);
    return {
      model: bytes,
      weightsSha256: weightsHash,
      history,
      bestEpoch: best.epoch,
      bestValLoss: best.valLoss,
      epochsRun: history.length,
      stoppedEarly,
      backend,
      seed: input.seed,
      hyper,
      durationMs: performance.now() - started,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}
