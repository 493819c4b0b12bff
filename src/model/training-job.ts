/**
 * One training run end to end (DESIGN.md "Models"), for `signalbase train` and the daemon's retrains:
 *
 *   ml_models row 'training' → training set from stored candles → LSTM in a worker thread →
 *   test window: the model, always-HOLD, the rule consensus and the active model (if any) →
 *   promotion gate → permutation importance (validation window) → artifacts, performance rows,
 *   indicator weights stepped toward the importance → 'trained', then 'active' if the gate passes
 *   (or `activate` overrides it, logged at warn).
 *
 * Threads: the fit AND every prediction of the job (the model's and the active model's test
 * windows, the importance permutations) run in the training worker, which stays alive after the fit
 * as the job's model worker (trainer.ts serve) and is released in a finally. The calling thread (the
 * daemon's live loop) only gathers windows and scores the answers; it loads no tfjs model.
 *
 * Any failure (DatasetError, TrainingError, ArtifactError, StoreError, ...) marks the row 'failed'
 * with the reason and rethrows the typed error (its context gains `version`); cancellation records
 * 'cancelled'. The active model is never touched by a failed run.
 *
 * Indicator weights move after every training that completes, activated or not (DESIGN.md
 * "Indicators": "after each training"): the step is bounded (±0.1 within min..max) and a rejected
 * model's importance still says which indicators carry information. The next training then uses
 * the moved weights as its snapshot, so a second run on the same store sees other inputs and gets
 * another weights hash; `updateWeights: false` leaves them alone (reproducibility experiments).
 */
import type { Config } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { describeError } from '../errors.ts';
import { stepWeightsTowardImportance, weightsFromRecords, type WeightUpdate } from '../features/weights.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { ModelMetrics } from '../store/types.ts';
import { packArtifact } from './artifact.ts';
import { exportTrainedModel } from './onnx/training.ts';
import { initBackend, type BackendName } from './backend.ts';
import { TrainingCancelledError, TrainingError } from './errors.ts';
import { evaluateAlwaysHold, evaluatePredictions } from './evaluate.ts';
import { promotionGate, type GateDecision } from './gate.ts';
import { permutationImportance, type ImportanceResult } from './importance.ts';
import { jsonSafe } from './report.ts';
import { deriveSeed, seedFromRunId } from './seed.ts';
import type { SplitOptions } from './split.ts';
import type { HyperParams, TrainProgress, TrainResult } from './train-loop.ts';
import { startTraining } from './trainer.ts';
import { evaluationBase, rulePredictions, scoreActiveModel, workerModelLoader } from './training-eval.ts';
import { evaluateCandidate } from './candidate-eval.ts';
import { artifactMetadata, qualityMetadata, runSummary, writePerformance, type TrainingOutcome } from './training-record.ts';
import type { ActiveComparison } from './training-eval.ts';
import { buildTrainingSet, type SeriesCandles } from './training-set.ts';
import { readTrainingSeries } from './training-source.ts';
import { modelVersion, newRunId } from './versions.ts';

/**
 * The job's network size and schedule (over train-loop.ts's DEFAULT_HYPER). Measured on this shared
 * 2-core machine under load (load average 10-15, wasm backend, T=60, F=17): a batch costs about the
 * same 1-2 s from 256 to 1024 windows and 16 to 32 units, so wider batches and a narrower LSTM cut an
 * epoch over the four 5m files (≈15.7k training windows) from ~3.5 min (32 units, batch 256) to ~1 min.
 * The learning rate is doubled for the halved number of updates; early stopping usually ends the run
 * before maxEpochs.
 */
export const JOB_HYPER: Partial<HyperParams> = { units: 16, batchSize: 512, learningRate: 2e-3, maxEpochs: 8, patience: 2 };

/** Validation samples scored per permuted feature (evenly spaced over the window). */
export const IMPORTANCE_SAMPLES = 2000;

/**
 * Windows per predict call while evaluating and measuring importance. Those run in the training
 * worker (trainer.ts serve), not on the calling thread, so a call may be long: bigger calls
 * amortise the per-call cost (tensor set-up, message round trip).
 */
export const INFERENCE_BATCH = 512;

/**
 * Nice value of the training worker thread (trainer.ts). Measured with the bench's 500-symbol tick
 * loop on 2 cores: the ticks that waited were the ones during the FIT (another core's worth of CPU
 * beside the daemon's main thread, its websocket and outbox threads), not during evaluation. A
 * niced fit leaves the CPU to the live loop when both want it; on an idle machine it runs as fast.
 */
export const JOB_WORKER_NICENESS = 10;

export interface TrainingJobDeps {
  store: Store;
  config: Config;
  log: Logger;
}

export type JobPhase = 'dataset' | 'training' | 'evaluation' | 'importance' | 'saving';
export type JobProgress = { kind: 'phase'; phase: JobPhase; message: string } | TrainProgress;

export interface TrainingJobOptions {
  /** The run seed; default: derived from the run id. */
  seed?: number;
  /** Default: random. The version's suffix comes from it. */
  runId?: string;
  /** The time the version is stamped with (default now; walk-forward: the fold's simulated time). */
  versionAt?: Date;
  /** Activate even if the gate refuses (logged at warn). */
  activate?: boolean;
  signal?: AbortSignal;
  onProgress?: (p: JobProgress) => void;
  /** Over JOB_HYPER. */
  hyper?: Partial<HyperParams>;
  /** Train on these series instead of the store's candles. */
  candles?: readonly SeriesCandles[];
  /** Which stored series (default: config.symbols / config.timeframe). */
  symbols?: readonly string[];
  timeframe?: Timeframe;
  /** Window length T (default 60). */
  timesteps?: number;
  split?: Omit<SplitOptions, 'horizonMs'>;
  /** Replace the balanced class weights (experiments, tests). */
  classWeights?: readonly [number, number, number];
  /** Step the indicator weights toward the importance (default true). */
  updateWeights?: boolean;
  /** Nice value of the training worker thread (default JOB_WORKER_NICENESS; 0: the process's). */
  workerNiceness?: number;
  /** Validation samples permutation importance scores (default IMPORTANCE_SAMPLES). */
  importanceSamples?: number;
}

export interface TrainingJobResult {
  version: string;
  runId: string;
  seed: number;
  backend: BackendName;
  status: 'trained' | 'active';
  statusReason: string;
  gate: GateDecision;
  /** Activated although the gate refused. */
  overridden: boolean;
  weightsSha256: string;
  metrics: ModelMetrics;
  /** The selective rule fitted on validation, the test calibration and the net expectancy. */
  quality: ReturnType<typeof qualityMetadata>;
  baselines: { alwaysHold: ModelMetrics; rules: ModelMetrics };
  active: ActiveComparison | null;
  importance: ImportanceResult;
  weights: WeightUpdate | null;
  summary: ReturnType<typeof runSummary>;
  epochsRun: number;
  bestEpoch: number;
  durationsMs: { dataset: number; training: number; evaluation: number; importance: number; saving: number; total: number };
}

export async function runTrainingJob(deps: TrainingJobDeps, opts: TrainingJobOptions = {}): Promise<TrainingJobResult> {
  const { store, config } = deps;
  const runId = opts.runId ?? newRunId();
  const seed = opts.seed ?? seedFromRunId(runId);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const version = modelVersion(runId, opts.versionAt);
  const log = deps.log.child({ module: 'training', version });
  const phase = (p: JobPhase, message: string) => {
    log.info({ phase: p }, message);
    opts.onProgress?.({ kind: 'phase', phase: p, message });
  };
  const checkCancelled = () => {
    if (opts.signal?.aborted) throw new TrainingCancelledError('training cancelled');
  };
  const t0 = performance.now();
  const lap = (() => {
    let last = t0;
    return () => {
      const now = performance.now();
      const d = now - last;
      last = now;
      return d;
    };
  })();

  await store.createModel({ version, seed, backend: null, metadata: { runId } });
  log.info({ runId, seed }, `training run ${runId} started as model ${version}`);
  try {
    const backend = await initBackend(config.tfjsBackend, log);
    await store.updateModel(version, { backend });

    phase('dataset', 'building the training set');
    const weightRecords = await store.getWeights();
    const weights = weightsFromRecords(weightRecords);
    const series = opts.candles ?? (await readTrainingSeries(store, { symbols: opts.symbols ?? config.symbols, timeframe: opts.timeframe ?? config.timeframe }));
    const set = buildTrainingSet(series, { features: config.features, barrier: config.barrier, weights, timesteps: opts.timesteps, split: opts.split });
    const summary = runSummary({ set, runId });
    await store.updateModel(version, {
      trainingSamplesCount: set.split.train.length,
      validationSamplesCount: set.split.val.length,
      metadata: jsonSafe({ ...summary, features: [...set.pipeline.features], barrier: set.barrier }),
    });
    log.info(summary.samples, `training set: ${summary.symbols.length} series, ${summary.samples.train}/${summary.samples.val}/${summary.samples.test} samples`);
    const dDataset = lap();
    checkCancelled();

    phase('training', `training on ${set.split.train.length} windows`);
    const run = startTraining(
      {
        dataset: set.dataset,
        trainRows: set.split.train,
        valRows: set.split.val,
        classWeights: opts.classWeights ? [...opts.classWeights] as [number, number, number] : set.classWeights,
        seed,
        hyper: { ...JOB_HYPER, ...opts.hyper },
        backend,
      },
      { signal: opts.signal, log, serve: true, niceness: opts.workerNiceness ?? JOB_WORKER_NICENESS },
    );
    run.on('progress', (p) => opts.onProgress?.(p));
    let train: TrainResult;
    let dTraining: number;
    let outcome: TrainingOutcome;
    let dEvaluation: number;
    let dImportance: number;
    // The worker that trained stays as the model worker: every prediction below runs there.
    try {
      train = await run.result;
      dTraining = lap();
      checkCancelled();
      const predictor = run.predictor();
      phase('evaluation', `evaluating on ${set.split.test.length} test windows beside the baselines`);
      const test = set.split.test;
      const candidate = await evaluateCandidate(set, predictor, { signal: opts.signal, batch: INFERENCE_BATCH });
      const base = evaluationBase(set, test);
      const alwaysHold = evaluateAlwaysHold(base);
      const rules = evaluatePredictions({ ...base, predicted: rulePredictions(set, test, weights) });
      const active = await scoreActiveModel(store, set, test, { load: workerModelLoader(run), signal: opts.signal, batch: INFERENCE_BATCH, log });
      // What serves now: the active model, or the rule consensus when none is (or it cannot be scored).
      const incumbent = active?.metrics ? { version: active.version, profitFactor: active.metrics.profitFactor } : { version: 'rules', profitFactor: rules.metrics.profitFactor };
      let gate = promotionGate({ candidate: candidate.evaluation.metrics, alwaysHold: alwaysHold.metrics, incumbent, expectancy: candidate.expectancy });
      if (active?.error) gate = { ...gate, reason: `${gate.reason} (the active model ${active.version} could not be scored: ${active.error})` };
      dEvaluation = lap();
      checkCancelled();

      phase('importance', `permutation importance of ${set.dataset.featureCount} features`);
      const importance = await permutationImportance(predictor, set.dataset, set.split.val, {
        seed: deriveSeed(seed, 'importance'),
        maxSamples: opts.importanceSamples ?? IMPORTANCE_SAMPLES,
        signal: opts.signal,
        batch: INFERENCE_BATCH,
      });
      dImportance = lap();
      outcome = { version, runId, seed, set, train, model: candidate.evaluation, testProbabilities: candidate.probabilities, alwaysHold, rules, active, gate, importance, candidate };
    } finally {
      await run.release();
    }
    checkCancelled();

    // From here on the run completes: cancelling now would leave less consistent state than finishing.
    phase('saving', 'saving artifacts and reports');
    // model.onnx for ONNX Runtime serving, checked on the test windows against the network's own
    // (uncalibrated) outputs; calibration is applied after either runtime (null: tfjs serves).
    const onnx = await exportTrainedModel(train.model, set, { samples: set.split.test, probabilities: outcome.candidate.rawProbabilities }, log);
    const meta = artifactMetadata(outcome);
    const blobs = packArtifact(train.model, train.weightsSha256, onnx ? { ...meta, extra: { ...meta.extra, onnx: onnx.record } } : meta);
    if (onnx) blobs.push(onnx.blob);
    await store.putArtifacts(blobs.map((b) => ({ ...b, modelVersion: version })));
    let weightUpdate: WeightUpdate | null = null;
    if (opts.updateWeights ?? true) {
      weightUpdate = stepWeightsTowardImportance(weightRecords, outcome.importance.importance);
      if (Object.keys(weightUpdate.next).length > 0) await store.setWeights(weightUpdate.next as Record<string, number>);
    }
    await writePerformance(store, outcome, weightUpdate);

    const { gate } = outcome;
    const overridden = !gate.pass && Boolean(opts.activate);
    const statusReason = overridden ? `activated by --activate although the gate refused: ${gate.reason}` : gate.reason;
    await store.updateModel(version, {
      status: 'trained',
      statusReason,
      metrics: outcome.model.metrics,
      featureImportance: outcome.importance.importance,
      trainingDurationMs: train.durationMs,
      weightsSha256: train.weightsSha256,
      metadata: jsonSafe({
        ...summary,
        features: [...set.pipeline.features],
        barrier: set.barrier,
        hyper: train.hyper,
        epochsRun: train.epochsRun,
        bestEpoch: train.bestEpoch,
        gate,
        baselines: { alwaysHold: outcome.alwaysHold.metrics, rules: outcome.rules.metrics },
        active: outcome.active,
        ...qualityMetadata(outcome.candidate),
      }),
    });
    if (overridden) log.warn({ reason: gate.reason }, `gate refused ${version}; activating it anyway (--activate)`);
    if (gate.pass || overridden) await store.activateModel(version);
    const dSaving = lap();
    const status = gate.pass || overridden ? 'active' : 'trained';
    log.info({ status, gate: gate.pass, weightsSha256: train.weightsSha256 }, `model ${version} ${status}: ${statusReason}`);
    return {
      version,
      runId,
      seed,
      backend,
      status,
      statusReason,
      gate,
      overridden,
      weightsSha256: train.weightsSha256,
      metrics: outcome.model.metrics,
      quality: qualityMetadata(outcome.candidate),
      baselines: { alwaysHold: outcome.alwaysHold.metrics, rules: outcome.rules.metrics },
      active: outcome.active,
      importance: outcome.importance,
      weights: weightUpdate,
      summary,
      epochsRun: train.epochsRun,
      bestEpoch: train.bestEpoch,
      durationsMs: {
        dataset: dDataset,
        training: dTraining,
        evaluation: dEvaluation,
        importance: dImportance,
        saving: dSaving,
        total: performance.now() - t0,
      },
    };
  } catch (err) {
    const cancelled = err instanceof TrainingCancelledError;
    const reason = cancelled ? 'cancelled' : `${err instanceof SignalbaseError ? `${err.code}: ` : ''}${describeError(err)}`;
    try {
      await store.updateModel(version, { status: 'failed', statusReason: reason });
    } catch (writeErr) {
      log.error({ err: writeErr }, `could not record model ${version} as failed`);
    }
    if (cancelled) log.warn(`training ${version} cancelled`);
    else log.error({ err }, `training ${version} failed: ${reason}`);
    const typed = err instanceof SignalbaseError ? err : new TrainingError(`training ${version} failed: ${describeError(err)}`, {}, err);
    typed.context.version ??= version;
    throw typed;
  }
}
