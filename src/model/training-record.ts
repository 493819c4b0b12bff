/**
 * What a finished training writes: the artifact metadata (what inference and drift checks need beside
 * the net) and the ml_model_performance rows (the model on its test window, the two baselines and,
 * when there was one, the active model on the same window; weight changes ride on the model's row).
 */
import type { WeightUpdate } from '../features/weights.ts';
import type { Store } from '../store/store.ts';
import type { MetadataInput } from './artifact.ts';
import type { CandidateEvaluation } from './candidate-eval.ts';
import type { Evaluation } from './evaluate.ts';
import type { GateDecision } from './gate.ts';
import type { ImportanceResult } from './importance.ts';
import type { TrainResult } from './train-loop.ts';
import { featureReference, predictionReference } from './drift-reference.ts';
import { jsonSafe } from './report.ts';
import type { ActiveComparison } from './training-eval.ts';
import { TRANSFORMS_ID, type TrainingSet } from './training-set.ts';

export interface TrainingOutcome {
  version: string;
  runId: string;
  seed: number;
  set: TrainingSet;
  train: TrainResult;
  model: Evaluation;
  testProbabilities: Float32Array;
  alwaysHold: Evaluation;
  rules: Evaluation;
  active: ActiveComparison | null;
  gate: GateDecision;
  importance: ImportanceResult;
  candidate: CandidateEvaluation;
}

/**
 * The selection (temperature and threshold, fitted on validation), the test-window calibration and
 * net expectancy: in the artifact metadata (the policy reads `selection` back) and on ml_models.
 */
export function qualityMetadata(c: CandidateEvaluation) {
  const { validation, ...rule } = c.selection;
  return {
    selection: { ...rule, fittedOn: 'validation', validation },
    calibration: c.calibration,
    expectancy: c.expectancy,
  };
}

/** Symbols, window and sample counts: the part of the run a reader of ml_models wants at a glance. */
export function runSummary(o: Pick<TrainingOutcome, 'set' | 'runId'>) {
  const { set } = o;
  return {
    runId: o.runId,
    timeframe: set.timeframe,
    symbols: set.series.map((s) => s.symbol),
    candles: set.readyFrom.length,
    timesteps: set.dataset.timesteps,
    samples: { train: set.split.train.length, val: set.split.val.length, test: set.split.test.length, purged: set.split.purged },
    window: Object.fromEntries(Object.entries(set.split.bounds).map(([k, v]) => [k, new Date(v).toISOString()])),
    purgeMs: set.horizonMs,
    classWeights: set.classWeights,
  };
}

export function artifactMetadata(o: TrainingOutcome): MetadataInput {
  const pipeline = o.set.pipeline.toJSON();
  return {
    features: [...pipeline.features],
    transformsId: TRANSFORMS_ID,
    scaler: pipeline.scaler as unknown as Record<string, unknown>,
    weightSnapshot: pipeline.weights as Record<string, number>,
    timesteps: o.set.dataset.timesteps,
    barrier: o.set.barrier,
    metrics: o.model.metrics,
    backend: o.train.backend,
    seed: o.seed,
    extra: jsonSafe({
      version: o.version,
      ...runSummary(o),
      hyper: o.train.hyper,
      history: o.train.history,
      bestEpoch: o.train.bestEpoch,
      baselines: { alwaysHold: o.alwaysHold.metrics, rules: o.rules.metrics },
      active: o.active,
      gate: o.gate,
      ...qualityMetadata(o.candidate),
      confusion: o.model.confusion,
      importance: { metric: o.importance.metric, values: o.importance.importance, baseline: o.importance.baseline, samples: o.importance.samples },
      driftReference: { features: featureReference(o.set), predictions: predictionReference(o.testProbabilities) },
    }),
  };
}

/** Writes the performance rows of one training. `weights` is the recorded step (null when weights were left alone). */
export async function writePerformance(store: Store, o: TrainingOutcome, weights: WeightUpdate | null): Promise<void> {
  const counts = { trainingSamplesCount: o.set.split.train.length, validationSamplesCount: o.set.split.val.length };
  await store.insertPerformance({
    modelVersion: o.version,
    evaluation: 'test',
    ...counts,
    metrics: o.model.metrics,
    previousWeights: weights?.previous ?? null,
    newWeights: weights?.next ?? null,
    weightChanges: weights?.changes ?? null,
    featureImportance: o.importance.importance,
    trainingDurationMinutes: o.train.durationMs / 60_000,
    convergenceEpoch: o.train.epochsRun,
    bestEpoch: o.train.bestEpoch,
  });
  await store.insertPerformance({ modelVersion: o.version, evaluation: 'baseline_hold', ...counts, metrics: o.alwaysHold.metrics });
  await store.insertPerformance({ modelVersion: o.version, evaluation: 'baseline_rules', ...counts, metrics: o.rules.metrics });
  if (o.active?.metrics) {
    await store.insertPerformance({ modelVersion: o.version, evaluation: `active:${o.active.version}`, ...counts, metrics: o.active.metrics });
  }
}
