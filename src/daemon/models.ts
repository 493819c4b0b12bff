/**
 * Which model the live engine serves, and the trainings that replace it.
 *
 * ModelSlot: the model currently handed to the engine. install() swaps a model in at the next tick
 * boundary (engine.setModel) and tells subscribers (a `model` stream message); the model it replaces
 * is disposed only after the engine has finished a tick with the new one, so no predict ever runs
 * on freed tensors.
 *
 * BackgroundTrainer: one training at a time, in a worker thread (model/training-job.ts), while the
 * live loop keeps producing signals with whatever is installed. When the job activates its model
 * (it passed the promotion gate), the model is loaded from the store and installed. A job that does
 * not pass the gate leaves the current model (or the rule consensus) serving, and says why.
 */
import type { Timeframe } from '../domain/timeframe.ts';
import { setServingModel } from './metrics.ts';
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import type { FeaturePipeline } from '../features/pipeline.ts';
import type { Logger } from '../log.ts';
import type { WindowPredictor } from '../model/batcher.ts';
import { TrainingCancelledError } from '../model/errors.ts';
import { runTrainingJob } from '../model/training-job.ts';
import type { Store } from '../store/store.ts';
import type { EngineModel } from '../signals/decision.ts';
import type { Selection } from '../signals/policy.ts';

/** A loaded model the engine can serve (registry.ts LoadedModel fits). */
export interface ServingModel {
  version: string;
  pipeline: FeaturePipeline;
  predictor: WindowPredictor;
  /** What serves it (registry.ts LoadedModel says); absent: tfjs. */
  runtime?: 'onnx' | 'tfjs';
  /** The model's selective rule (model/selective.ts); absent for models trained without one. */
  selection?: Selection | null;
  dispose(): void;
}

/** Loads the store's active model; null when none is active. */
export type ModelLoader = () => Promise<ServingModel | null>;

/** What one training reports back to the daemon. */
export interface TrainOutcome {
  version: string;
  /** True when the job made its model the active one. */
  activated: boolean;
  /** The promotion gate's verdict in words. */
  reason: string;
  durationMs: number;
}

/** Runs one training to completion (or until `signal` aborts). The seam over runTrainingJob. */
export type Trainer = (opts: { signal: AbortSignal; reason: string }) => Promise<TrainOutcome>;

/** The real trainer: model/training-job.ts on the stored candles of these series (default: config's). */
export function jobTrainer(deps: { store: Store; config: Config; log: Logger }, sel: { symbols?: string[]; timeframe?: Timeframe } = {}): Trainer {
  return async ({ signal }) => {
    const r = await runTrainingJob(deps, { signal, symbols: sel.symbols, timeframe: sel.timeframe, hyper: deps.config.trainHyper });
    return { version: r.version, activated: r.status === 'active', reason: r.statusReason, durationMs: r.durationsMs.total };
  };
}

export class ModelSlot {
  private current: ServingModel | null = null;
  private retiring: ServingModel[] = [];
  private readonly log: Logger;

  constructor(
    private readonly engine: { setModel(model: EngineModel | null): void },
    log: Logger,
    private readonly announce: (data: Record<string, unknown>) => void,
  ) {
    this.log = log.child({ module: 'models' });
  }

  get version(): string | null {
    return this.current?.version ?? null;
  }

  /** The serving runtime of the current model; null while the rule consensus serves. */
  get runtime(): 'onnx' | 'tfjs' | null {
    return this.current ? (this.current.runtime ?? 'tfjs') : null;
  }

  get model(): ServingModel | null {
    return this.current;
  }

  /** Swaps `model` in at the next tick boundary. Throws (RangeError) if the engine refuses its shape. */
  install(model: ServingModel, how: 'loaded' | 'trained'): void {
    if (this.current?.version === model.version) {
      model.dispose();
      return;
    }
    this.engine.setModel({ version: model.version, pipeline: model.pipeline, predictor: model.predictor, selection: model.selection ?? null });
    if (this.current) this.retiring.push(this.current);
    const previous = this.current?.version ?? 'rules';
    this.current = model;
    setServingModel(model.version);
    this.log.info(
      { version: model.version, previous, features: model.pipeline.features.length, runtime: model.runtime ?? 'tfjs' },
      how === 'trained'
        ? `model ${model.version} is now active: signals from the next candle on come from the LSTM`
        : `serving model ${model.version} (the active model in the store)`,
    );
    this.announce({ event: 'activated', version: model.version, previous, at: new Date().toISOString() });
  }

  /** The engine finished a tick: models replaced before it are no longer used. */
  onBatchDone(): void {
    if (this.retiring.length === 0) return;
    for (const m of this.retiring.splice(0)) {
      try {
        m.dispose();
      } catch (err) {
        this.log.warn({ err, version: m.version }, 'disposing a replaced model failed');
      }
    }
  }

  /** After the engine stopped: frees every model. */
  dispose(): void {
    this.onBatchDone();
    try {
      this.current?.dispose();
    } catch (err) {
      this.log.warn({ err }, 'disposing the model failed');
    }
    this.current = null;
  }
}

export interface BackgroundTrainerOptions {
  trainer: Trainer;
  load: ModelLoader;
  slot: ModelSlot;
  log: Logger;
  announce: (data: Record<string, unknown>) => void;
}

export class BackgroundTrainer {
  private running: Promise<TrainOutcome | null> | null = null;
  private readonly abort = new AbortController();
  private readonly log: Logger;
  private last: TrainOutcome | null = null;
  private lastFailure: string | null = null;

  constructor(private readonly opts: BackgroundTrainerOptions) {
    this.log = opts.log.child({ module: 'models' });
  }

  get busy(): boolean {
    return this.running !== null;
  }

  get lastOutcome(): TrainOutcome | null {
    return this.last;
  }

  /** Why the last run() that resolved null failed, in words (null after a success). */
  get lastError(): string | null {
    return this.lastFailure;
  }

  /**
   * Starts a training unless one runs; resolves when it is over (never rejects: failures are logged).
   * Resolves null when it failed, was cancelled, or another training was already running.
   */
  run(reason: string): Promise<TrainOutcome | null> {
    if (this.running) {
      this.log.info({ reason }, 'a training is already running; this request waits for the next one');
      return Promise.resolve(null);
    }
    if (this.abort.signal.aborted) return Promise.resolve(null);
    this.running = this.once(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Cancels a running training and waits for it to wind down. Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async once(reason: string): Promise<TrainOutcome | null> {
    let outcome: TrainOutcome;
    this.lastFailure = null;
    try {
      outcome = await this.opts.trainer({ signal: this.abort.signal, reason });
    } catch (err) {
      this.lastFailure = describeError(err);
      if (err instanceof TrainingCancelledError || this.abort.signal.aborted) {
        this.lastFailure = 'the training was cancelled (the daemon was shutting down)';
        this.log.info('training cancelled (shutting down)');
      } else {
        this.log.error({ err }, `training failed: ${describeError(err)}; signals continue with ${this.opts.slot.version ?? 'the rule consensus'}`);
      }
      return null;
    }
    this.last = outcome;
    const minutes = (outcome.durationMs / 60_000).toFixed(1);
    this.opts.announce({ event: outcome.activated ? 'trained_and_activated' : 'trained', version: outcome.version, reason: outcome.reason });
    if (!outcome.activated) {
      this.log.warn(
        { version: outcome.version, reason: outcome.reason },
        `model ${outcome.version} trained in ${minutes} min but did not pass the promotion gate (${outcome.reason}); ` +
          `signals continue with ${this.opts.slot.version ?? 'the rule consensus'}`,
      );
      return outcome;
    }
    this.log.info({ version: outcome.version, reason: outcome.reason }, `model ${outcome.version} trained in ${minutes} min and passed the promotion gate`);
    if (this.abort.signal.aborted) return outcome;
    try {
      const loaded = await this.opts.load();
      if (loaded) this.opts.slot.install(loaded, 'trained');
    } catch (err) {
      this.log.error({ err }, `model ${outcome.version} is active in the store but could not be loaded here: ${describeError(err)}`);
    }
    return outcome;
  }
}

/** At start: the store's active model into the slot, or rule-based signals (said once) until one loads. */
export async function installActiveModel(slot: ModelSlot, load: ModelLoader, log: Logger): Promise<void> {
  try {
    const active = await load();
    if (active) slot.install(active, 'loaded');
    else log.info('no trained model is active yet: signals come from the weighted rule consensus (model_version "rules")');
  } catch (err) {
    log.error({ err }, `the active model cannot be loaded (${describeError(err)}); serving rule-based signals until a model loads`);
  }
}
