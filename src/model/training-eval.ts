/**
 * Scoring predictions on a training set's samples: the trained model, the always-HOLD baseline, the
 * rule consensus and the active model, all over the same test samples and all through evaluate.ts.
 *
 * Any model is scored through its OWN pipeline (features, scaler, weight snapshot) applied to the
 * same transformed rows, so an active model trained on other FEATURES is compared on the same
 * candles. A sample whose window does not fit that model's T (a longer window than the set's)
 * counts as HOLD for it: no trade, which only makes that model look more cautious.
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import type { Direction } from '../domain/prediction.ts';
import { yieldToEventLoop } from '../domain/timing.ts';
import type { FeaturePipeline } from '../features/pipeline.ts';
import { rawToValues } from '../features/indicator-set.ts';
import { consensus } from '../features/consensus.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { ModelMetrics } from '../store/types.ts';
import { pipelineFromMetadata, readModelVersion } from './registry.ts';
import type { TrainingRun } from './trainer.ts';
import type { WindowPredictor } from './batcher.ts';
import { CLASSES, NUM_CLASSES, argmaxAt, classOf } from './classes.ts';
import { gatherWindows, type WindowDataset } from './dataset.ts';
import { TrainingCancelledError, TrainingError } from './errors.ts';
import { evaluatePredictions, type Evaluation, type EvaluationInput } from './evaluate.ts';
import { encodeFor, windowFits, type TrainingSet } from './training-set.ts';
import { applyTemperature } from './calibration.ts';
import { selectionFromMetadata, selectivePredictions, type Selection } from './selective.ts';

const COLS = INDICATOR_COLUMNS.length;

export interface PredictOptions {
  /** Windows per predict call. */
  batch?: number;
  signal?: AbortSignal;
}

/**
 * Softmax rows [n × 3] for `samples` of `ds`, in batches; the event loop turns between batches
 * (a daemon keeps serving while a training evaluates).
 */
export async function predictSamples(predictor: WindowPredictor, ds: WindowDataset, samples: ArrayLike<number>, opts: PredictOptions = {}): Promise<Float32Array> {
  if (predictor.timesteps !== ds.timesteps || predictor.features !== ds.featureCount) {
    throw new RangeError(`the model reads [${predictor.timesteps}, ${predictor.features}] windows but the dataset has [${ds.timesteps}, ${ds.featureCount}]`);
  }
  const batch = opts.batch ?? 256;
  const n = samples.length;
  const out = new Float32Array(n * NUM_CLASSES);
  let buf: Float32Array | undefined;
  for (let from = 0; from < n; from += batch) {
    if (opts.signal?.aborted) throw new TrainingCancelledError('training cancelled', { phase: 'evaluation' });
    const to = Math.min(n, from + batch);
    buf = gatherWindows(ds, samples, from, to, buf);
    const probs = await predictor.predict(buf, to - from);
    out.set(probs.subarray(0, (to - from) * NUM_CLASSES), from * NUM_CLASSES);
    await yieldToEventLoop();
  }
  return out;
}

/** Labels and barrier P/L of `samples`: everything evaluatePredictions needs but the predictions. */
export function evaluationBase(set: TrainingSet, samples: ArrayLike<number>): Omit<EvaluationInput, 'predicted'> {
  const n = samples.length;
  const actual: Direction[] = new Array<Direction>(n);
  const buyPnlPct = new Float64Array(n);
  const sellPnlPct = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = samples[k]!;
    actual[k] = classOf(set.dataset.labels[s]!);
    buyPnlPct[k] = set.buyPnlPct[s]!;
    sellPnlPct[k] = set.sellPnlPct[s]!;
  }
  return { actual, buyPnlPct, sellPnlPct };
}

/** The rule consensus's direction on each sample's candle, with the given weights. */
export function rulePredictions(set: TrainingSet, samples: ArrayLike<number>, weights: IndicatorWeights): Direction[] {
  const out: Direction[] = new Array<Direction>(samples.length);
  for (let k = 0; k < samples.length; k++) {
    const row = set.dataset.ends[samples[k]!]!;
    const values = rawToValues(set.raw.subarray(row * COLS, row * COLS + COLS));
    out[k] = consensus(values, { close: set.close[row]!, volume: set.volume[row]! }, weights).direction;
  }
  return out;
}

export interface ModelScore {
  evaluation: Evaluation;
  predicted: Direction[];
  /** Softmax rows [n × 3], at the selection's temperature when it has one; NaN rows for samples the model could not window. */
  probabilities: Float32Array;
  /** The softmax rows as the net gave them (= probabilities without a selection). */
  raw: Float32Array;
  /** Samples the model could not window (scored as HOLD). */
  skipped: number;
}

export interface ScoredModel {
  predictor: WindowPredictor;
  pipeline: FeaturePipeline;
  /** Its selective rule: then scored as the live policy serves it; absent: argmax. */
  selection?: Selection | null;
}

/** Scores a model on `samples` of the set, through its own pipeline. */
export async function scoreModel(set: TrainingSet, m: ScoredModel, samples: Int32Array, opts: PredictOptions = {}): Promise<ModelScore> {
  const T = m.predictor.timesteps;
  const ds = m.pipeline === set.pipeline && T === set.dataset.timesteps ? set.dataset : encodeFor(set, m.pipeline, T);
  const fits = Array.from(samples).filter((s) => windowFits(set, s, T));
  const probsFit = await predictSamples(m.predictor, ds, fits, opts);
  const raw = new Float32Array(samples.length * NUM_CLASSES).fill(Number.NaN);
  let predicted: Direction[] = new Array<Direction>(samples.length);
  let j = 0;
  for (let k = 0; k < samples.length; k++) {
    if (j < fits.length && fits[j] === samples[k]) {
      raw.set(probsFit.subarray(j * NUM_CLASSES, (j + 1) * NUM_CLASSES), k * NUM_CLASSES);
      predicted[k] = CLASSES[argmaxAt(probsFit, j)];
      j++;
    } else {
      predicted[k] = 'HOLD';
    }
  }
  const sel = m.selection ?? null;
  const probabilities = sel ? applyTemperature(raw, sel.temperature) : raw;
  if (sel) predicted = selectivePredictions(probabilities, sel.threshold);
  const evaluation = evaluatePredictions({ ...evaluationBase(set, samples), predicted });
  return { evaluation, predicted, probabilities, raw, skipped: samples.length - fits.length };
}

export interface ActiveComparison {
  version: string;
  metrics: ModelMetrics | null;
  /** Why the active model could not be scored (then metrics is null). */
  error: string | null;
  /** Test samples it could not window (scored as HOLD). */
  skipped: number;
}

/** A stored model ready to score, and how to free it. */
export interface ScorableModel extends ScoredModel {
  dispose(): void;
}

/** Loads a stored model version for scoring (the job's: workerModelLoader, into the training worker). */
export type ModelLoader = (store: Store, version: string) => Promise<ScorableModel>;

/**
 * Loads stored models into a serving training run's worker (trainer.ts), verified there by
 * loadArtifact: no tfjs model on this thread, and their predictions run in the worker too.
 */
export function workerModelLoader(run: TrainingRun): ModelLoader {
  return async (store, version) => {
    const stored = await readModelVersion(store, version);
    const key = `stored/${version}`;
    const m = await run.load(key, stored.blobs, stored.expectedFeatures);
    try {
      const selection = selectionFromMetadata(m.metadata.extra);
      return { predictor: m.predictor, pipeline: pipelineFromMetadata(version, m.metadata), selection, dispose: () => run.unload(key) };
    } catch (err) {
      run.unload(key);
      throw err;
    }
  };
}

/**
 * The store's active model scored on the same samples, through its stored artifact; null when no
 * model is active. A model that cannot be loaded is reported (error), not thrown: the new model's
 * gate then compares with always-HOLD only. Cancellation and a failing model worker (TrainingError)
 * are thrown: they are the job's failure, not the active model's.
 */
export async function scoreActiveModel(
  store: Store,
  set: TrainingSet,
  samples: Int32Array,
  opts: PredictOptions & { log?: Logger; load: ModelLoader },
): Promise<ActiveComparison | null> {
  const rec = await store.activeModel();
  if (!rec) return null;
  let loaded: ScorableModel;
  try {
    loaded = await opts.load(store, rec.version);
  } catch (err) {
    if (err instanceof TrainingCancelledError || err instanceof TrainingError) throw err;
    opts.log?.warn({ err, active: rec.version }, `the active model ${rec.version} cannot be loaded to compare with; the gate compares with always-HOLD only`);
    return { version: rec.version, metrics: null, error: describeError(err), skipped: 0 };
  }
  try {
    const s = await scoreModel(set, loaded, samples, opts);
    return { version: rec.version, metrics: s.evaluation.metrics, error: null, skipped: s.skipped };
  } finally {
    loaded.dispose();
  }
}
