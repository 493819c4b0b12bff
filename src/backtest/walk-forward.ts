/**
 * Walk-forward backtest (DESIGN.md "Commands"): the system as the daemon runs it, replayed fold by
 * fold (walk-forward-plan.ts), so that only out-of-sample signals are scored. For each fold:
 *
 *   1. train with the daemon's training job (runTrainingJob: the same dataset builder, split purged
 *      by the barrier horizon, JOB_HYPER, seed rule: run id → seed) on the fold's training candles;
 *   2. the job's promotion gate compares it with what serves at that point in the simulation (the
 *      model a previous fold promoted, else the rule consensus) and promotes or refuses it;
 *   3. the live engine (runBacktest: SignalEngine, policy with the model's selective rule, outcome
 *      tracker) runs over the fold's test candles with whatever now serves; the candles before the
 *      test window only warm the indicators and the model window up and are never scored; the
 *      candles after it only label the last signals;
 *   4. the daemon's drift monitor watches that run and checks once at its end (DriftMonitor with
 *      the simulated clock): its alarms are reported.
 *
 * The registry of the simulation is `deps.store`, a scratch store the caller owns (the CLI opens an
 * in-memory one): per-fold models, weights moved by each training, drift records and retrain
 * requests stay there and never touch the operator's registry. Deterministic: run ids are derived
 * from the seed and the fold, versions are stamped with the fold's simulated time, and the replay
 * uses no wall clock; only durations differ between two runs.
 */
import type { Config } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { describeError } from '../errors.ts';
import { weightsFromRecords } from '../features/weights.ts';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import { timeframeMs } from '../domain/timeframe.ts';
import type { Logger } from '../log.ts';
import { DriftMonitor } from '../drift/monitor.ts';
import { evaluateSamples, runBacktest, type BacktestResult, type ScoredSamples } from '../signals/backtest.ts';
import { RULES_MODEL_VERSION } from '../signals/policy.ts';
import type { Store } from '../store/store.ts';
import { loadModelVersion, type LoadedModel } from '../model/registry.ts';
import { runTrainingJob, type JobProgress, type TrainingJobOptions, type TrainingJobResult } from '../model/training-job.ts';
import { planFolds, type Fold, type WalkForwardPlan } from './walk-forward-plan.ts';

/** Candles before a test window that warm the indicators (EMA 50, ADX) and one model window up. */
export const WARMUP_CANDLES = 200;

export interface WalkForwardDeps {
  /** The simulation's own registry (a scratch store). */
  store: Store;
  config: Config;
  log: Logger;
}

export interface WalkForwardOptions {
  series: readonly (readonly Candle[])[];
  plan: WalkForwardPlan;
  seed: number;
  /** Over the training job's defaults (tests use a tiny network; `activate` overrides the gate, tests only: the CLI never sets it). */
  training?: Pick<TrainingJobOptions, 'hyper' | 'timesteps' | 'split' | 'importanceSamples' | 'workerNiceness' | 'activate'>;
  onProgress?: (p: WalkForwardProgress) => void;
  signal?: AbortSignal;
}

export type WalkForwardProgress = { fold: number; folds: number; stage: 'training' | 'testing' | 'done'; job?: JobProgress };

export type FoldStatus = 'promoted' | 'refused' | 'failed';

export interface FoldResult extends Fold {
  /** The model this fold trained (null when the job failed before registering one). */
  trained: string | null;
  status: FoldStatus;
  gate: { passed: boolean; reason: string };
  /** Selective threshold and temperature of the trained model, fitted on its validation window. */
  selection: { threshold: number; temperature: number } | null;
  /** What served the test window: a model version or 'rules'. */
  serving: string;
  /** Training window of the serving model (null for the rules). */
  servingTrainWindow: { from: number; to: number } | null;
  backtest: BacktestResult;
  drift: { status: string; detected: boolean; drifted: string[]; summary: string; action: string } | null;
  durationMs: number;
}

export interface WalkForwardResult {
  seed: number;
  plan: WalkForwardPlan & { purgeMs: number };
  folds: FoldResult[];
  overall: BacktestResult['evaluations'];
  samples: ScoredSamples;
  durationMs: number;
}

/**
 * The drift action without the request's id and store time ("retrain not requested: cooldown (drift
 * request <uuid> at <now()>, 24.0 h)"): those come from the scratch store's clock, not the
 * simulation's, and would make two identical runs differ. Every fold retrains anyway, so a filed
 * request changes nothing in the simulation; whether one was filed is what the report keeps.
 */
const actionKind = (action: string) => action.replace(/\s*\(.*\)\s*$/, '');

const within = (c: readonly Candle[], from: number, to: number) => c.filter((x) => x.openTime >= from && x.openTime < to);

export async function runWalkForward(deps: WalkForwardDeps, o: WalkForwardOptions): Promise<WalkForwardResult> {
  const started = performance.now();
  const { store, config } = deps;
  const log = deps.log.child({ module: 'walk-forward' });
  const series = o.series.filter((s) => s.length > 0);
  if (series.length === 0) throw new RangeError('walk-forward: the feed has no candles');
  const tf = series[0]![0]!.timeframe;
  const candleMs = timeframeMs(tf);
  const horizonMs = config.barrier.horizon * candleMs;
  const purgeMs = o.plan.purgeMs ?? horizonMs;
  const first = Math.min(...series.map((s) => s[0]!.openTime));
  const last = Math.max(...series.map((s) => s.at(-1)!.openTime));
  const folds = planFolds(o.plan, first, last, purgeMs, candleMs);
  if (folds.length === 0) {
    throw new RangeError(`walk-forward: ${new Date(first).toISOString()} .. ${new Date(last).toISOString()} is too short for one fold of train + purge + test`);
  }
  log.info({ folds: folds.length, purgeMs }, `walk-forward over ${folds.length} folds`);

  const trainWindows = new Map<string, { from: number; to: number }>();
  const results: FoldResult[] = [];
  let serving = null as LoadedModel | null;
  try {
    for (const fold of folds) {
      const t0 = performance.now();
      const progress = (stage: WalkForwardProgress['stage'], job?: JobProgress) => o.onProgress?.({ fold: fold.index, folds: folds.length, stage, job });
      progress('training');
      const candles = series.map((s) => ({ symbol: s[0]!.symbol, timeframe: tf, candles: within(s, fold.train.from, fold.train.to) }));
      let job: TrainingJobResult | null = null;
      let failure: string | null = null;
      try {
        job = await runTrainingJob(
          { store, config, log: deps.log },
          // workerNiceness 0: no live loop to leave the CPU to here (the daemon nices its fit for
          // that); scheduling only, the fit and its results are the same.
          { workerNiceness: 0, ...o.training, candles, runId: `walk-forward-${o.seed}-fold-${fold.index}`, versionAt: new Date(fold.train.to), signal: o.signal, onProgress: (p) => progress('training', p) },
        );
        trainWindows.set(job.version, fold.train);
      } catch (err) {
        if (o.signal?.aborted) throw err;
        failure = err instanceof SignalbaseError ? `${err.code}: ${describeError(err)}` : describeError(err);
        log.warn({ err, fold: fold.index }, `fold ${fold.index}: training failed; what served keeps serving`);
      }

      // What serves now: the store's active model (this fold's, an earlier fold's) or the rules.
      const active = await store.activeModel();
      if (active?.version !== serving?.version) {
        serving?.dispose();
        serving = active ? await loadModelVersion(store, active.version, { expectedFeatures: config.features, backend: config.tfjsBackend }) : null;
      }
      progress('testing');
      const clock: Clock = { now: () => fold.test.to };
      const monitor = new DriftMonitor({ store, window: config.drift.window, minOutcomes: config.drift.minOutcomes, cooldownMs: config.drift.cooldownMs, clock, log: deps.log });
      const warmFrom = fold.test.from - WARMUP_CANDLES * candleMs;
      const backtest = await runBacktest({
        series: series.map((s) => within(s, warmFrom, fold.test.to + horizonMs + candleMs)),
        model: serving ? { version: serving.version, pipeline: serving.pipeline, predictor: serving.predictor, selection: serving.selection } : null,
        barrier: config.barrier,
        weights: weightsFromRecords(await store.getWeights()),
        log: deps.log,
        clock,
        windowSize: serving?.timesteps ?? 60,
        scoreWindow: fold.test,
        onTick: monitor.observe,
      });
      const report = serving ? await monitor.check() : null;
      const servingVersion = serving?.version ?? RULES_MODEL_VERSION;
      results.push({
        ...fold,
        trained: job?.version ?? null,
        status: job ? (job.status === 'active' ? 'promoted' : 'refused') : 'failed',
        gate: job ? { passed: job.gate.pass, reason: job.gate.reason } : { passed: false, reason: `training failed: ${failure}` },
        selection: job ? { threshold: job.quality.selection.threshold, temperature: job.quality.selection.temperature } : null,
        serving: servingVersion,
        servingTrainWindow: serving ? (trainWindows.get(serving.version) ?? null) : null,
        backtest,
        drift: report
          ? { status: report.status, detected: report.drift_detected, drifted: [...report.drifted], summary: report.summary, action: actionKind(report.action) }
          : null,
        durationMs: performance.now() - t0,
      });
      progress('done');
      log.info({ fold: fold.index, status: results.at(-1)!.status, serving: servingVersion }, `fold ${fold.index + 1}/${folds.length} done`);
    }
  } finally {
    serving?.dispose();
  }

  const samples: ScoredSamples = { actual: [], predicted: [], rules: [], buyPnlPct: [], sellPnlPct: [], times: [] };
  for (const f of results) for (const k of Object.keys(samples) as Array<keyof ScoredSamples>) (samples[k] as unknown[]).push(...f.backtest.samples[k]);
  return { seed: o.seed, plan: { ...o.plan, purgeMs }, folds: results, overall: evaluateSamples(samples), samples, durationMs: performance.now() - started };
}
