/**
 * Training off the main thread: `startTraining` runs train-loop.ts in a worker_threads Worker, so
 * the live loop (ticks, websocket, store) never waits for it. The returned TrainingRun emits
 * 'progress' events (batch and epoch; the CLI draws its bar from them), logs a line per epoch and
 * at most one batch line per `logEveryMs` (the daemon's view), and settles `result` once.
 *
 * Threads: in Node the wasm backend is single-threaded, so a training occupies one core and the
 * live loop keeps the other. The worker picks its backend with the same preference as the process.
 *
 * Model worker (`serve: true`): after a successful fit the worker stays alive holding the trained
 * model, and `predictor()` runs predictions there, so a job's evaluation and importance (thousands
 * of windows, seconds of wasm) never block the caller's event loop. `load()` verifies and loads
 * another stored model in the same worker (the active model, to compare with). The caller MUST
 * call release() (in a finally): it ends the thread. Without `serve` the thread ends after the fit.
 *
 * Cancellation: cancel() (or the caller's AbortSignal) asks the worker to stop at its next batch;
 * `result` then rejects with TrainingCancelledError. If the worker has not stopped after
 * `cancelGraceMs` it is terminated, the last resort. After the fit, cancelling rejects the requests
 * in flight with TrainingCancelledError at once and releases the worker.
 * A worker that dies while requests wait rejects them with TrainingError (never a hang).
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import type { ArtifactBlob, ArtifactMetadata } from './artifact.ts';
import type { WindowPredictor } from './batcher.ts';
import { NUM_CLASSES } from './classes.ts';
import { ArtifactError, BackendError, DatasetError, TrainingCancelledError, TrainingError, type ArtifactErrorCode, type DatasetErrorCode } from './errors.ts';
import type { TrainInput, TrainProgress, TrainResult } from './train-loop.ts';
import { TRAINED_MODEL, type ParentToWorker, type SerializedError, type TrainWorkerData, type WorkerToParent } from './model-worker-protocol.ts';

export { TRAINED_MODEL } from './model-worker-protocol.ts';

export interface TrainingRunOptions {
  signal?: AbortSignal;
  log?: Logger;
  /** How long a cancelled worker may take to reach its next batch before it is terminated. */
  cancelGraceMs?: number;
  /** Minimum interval between batch progress log lines. */
  logEveryMs?: number;
  /** Keep the worker after the fit as the model worker (predictor/load); release() ends it. */
  serve?: boolean;
  /**
   * Nice value of the worker thread (Linux; 0..19, default 0): a daemon's fit yields the CPU to the
   * live loop when both want it, at no cost when the machine is otherwise idle.
   */
  niceness?: number;
  /** The worker's entry module (tests start a worker that misbehaves). */
  workerUrl?: URL;
}

/** A model loaded in the worker by load(). */
export interface WorkerModel {
  metadata: ArtifactMetadata;
  predictor: WindowPredictor;
}

const WORKER_URL = new URL('./train-worker-entry.mjs', import.meta.url);
/** How long a released worker may take to finish its current predict before it is terminated. */
const RELEASE_GRACE_MS = 5_000;

let liveWorkers = 0;
/** Training worker threads started and not yet exited in this process (leak checks). */
export function liveTrainingWorkers(): number {
  return liveWorkers;
}

function revive(e: SerializedError): Error {
  const context = { ...e.context, workerStack: e.stack };
  switch (e.code) {
    case 'TRAINING_CANCELLED':
      return new TrainingCancelledError(e.message, context);
    case 'BACKEND_UNAVAILABLE':
      return new BackendError(e.message, context);
    case 'DATASET_TOO_SMALL':
    case 'DATASET_SINGLE_CLASS':
    case 'DATASET_NAN':
    case 'DATASET_SHAPE':
      return new DatasetError(e.code as DatasetErrorCode, e.message, context);
    case 'ARTIFACT_MISSING':
    case 'ARTIFACT_CORRUPT':
    case 'ARTIFACT_HASH_MISMATCH':
    case 'ARTIFACT_FEATURES_MISMATCH':
      return new ArtifactError(e.code as ArtifactErrorCode, e.message, context);
    default:
      return new TrainingError(`training failed in the worker: ${e.name}: ${e.message}`, { ...context, workerErrorCode: e.code });
  }
}

type Answer = Extract<WorkerToParent, { type: 'predicted' | 'loaded' }>;
interface Pending {
  resolve: (m: Answer) => void;
  reject: (err: Error) => void;
}

export class TrainingRun extends EventEmitter<{ progress: [TrainProgress] }> {
  /** Settles once: the trained model, or a typed error (TrainingCancelledError when cancelled). */
  readonly result: Promise<TrainResult>;
  /** Resolves when the worker thread has exited. */
  readonly exited: Promise<number>;
  private readonly worker: Worker;
  private readonly serve: boolean;
  private settled = false;
  private cancelRequested = false;
  private releasing = false;
  /** Set when no request can succeed any more (cancelled, released, crashed). */
  private gone: Error | null = null;
  private hasExited = false;
  private cancelTimer: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly shapes = new Map<string, { timesteps: number; features: number }>();
  private readonly onAbort = () => this.cancel();

  constructor(input: TrainInput, private readonly opts: TrainingRunOptions = {}) {
    super();
    const log = opts.log;
    this.serve = opts.serve ?? false;
    // execArgv: [] so the worker does not inherit loaders or flags meant for the parent (vitest's,
    // tsx's): the entry file registers tsx itself.
    this.worker = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: { input, serve: this.serve, niceness: opts.niceness ?? 0 } satisfies TrainWorkerData, execArgv: [] });
    liveWorkers++;
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
    let lastBatchLog = 0;
    const logEvery = opts.logEveryMs ?? 30_000;

    this.result = new Promise<TrainResult>((resolve, reject) => {
      const settle = (fn: () => void) => {
        if (this.settled) return;
        this.settled = true;
        clearTimeout(this.cancelTimer);
        // A serving worker still answers to the signal: cancelling stops its predictions.
        if (!this.serve) opts.signal?.removeEventListener('abort', this.onAbort);
        fn();
      };
      this.worker.on('message', (m: WorkerToParent) => {
        if (m.type === 'progress') {
          const p = m.progress;
          if (p.kind === 'epoch') {
            log?.info({ epoch: p.epoch, epochs: p.epochs, loss: p.loss, valLoss: p.valLoss, best: p.best, etaMs: Math.round(p.etaMs) }, `training epoch ${p.epoch}/${p.epochs}`);
          } else if (log && p.elapsedMs - lastBatchLog >= logEvery) {
            lastBatchLog = p.elapsedMs;
            log.info({ epoch: p.epoch, batch: p.batch, batches: p.batches, loss: p.loss, etaMs: Math.round(p.etaMs) }, `training epoch ${p.epoch} batch ${p.batch}/${p.batches}`);
          }
          this.emit('progress', p);
        } else if (m.type === 'result') {
          this.shapes.set(TRAINED_MODEL, { timesteps: input.dataset.timesteps, features: input.dataset.featureCount });
          settle(() => resolve(m.result));
        } else if (m.type === 'error') {
          settle(() => reject(revive(m.error)));
        } else {
          this.answer(m);
        }
      });
      this.worker.on('error', (err) => {
        const e = new TrainingError(`the training worker crashed: ${err.message}`, {}, err);
        this.fail(e);
        settle(() => reject(e));
      });
      this.worker.on('exit', (code) => {
        this.hasExited = true;
        liveWorkers--;
        opts.signal?.removeEventListener('abort', this.onAbort);
        const stopped = this.cancelRequested || this.releasing;
        this.fail(stopped ? new TrainingCancelledError('the model worker was released') : new TrainingError(`the model worker exited with code ${code}`, { exitCode: code }));
        settle(() =>
          reject(
            stopped
              ? new TrainingCancelledError('training cancelled (worker terminated)')
              : new TrainingError(`the training worker exited with code ${code} before reporting a result`, { exitCode: code }),
          ),
        );
      });
    });
    // The caller decides what a failure means; an unobserved rejection must not crash the process.
    this.result.catch(() => undefined);
    if (opts.signal?.aborted) this.cancel();
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /**
   * Asks the worker to stop at its next batch; terminates it after the grace period. After the fit
   * of a serving run: rejects the requests in flight and releases the worker. Idempotent.
   */
  cancel(): void {
    if (this.cancelRequested || this.releasing || this.hasExited) return;
    if (this.settled) {
      if (!this.serve) return;
      this.cancelRequested = true;
      this.opts.log?.info('training cancel requested during evaluation');
      this.fail(new TrainingCancelledError('training cancelled'));
      void this.release();
      return;
    }
    this.cancelRequested = true;
    this.opts.log?.info('training cancel requested');
    this.post({ type: 'cancel' });
    this.cancelTimer = setTimeout(() => {
      this.opts.log?.warn({ graceMs: this.opts.cancelGraceMs ?? 15_000 }, 'training worker did not stop in time; terminating it');
      void this.worker.terminate();
    }, this.opts.cancelGraceMs ?? 15_000);
    this.cancelTimer.unref();
  }

  /**
   * Predictions by a model the worker holds (TRAINED_MODEL after the fit, or a key given to
   * load()), for serving runs. Each call's windows are copied and transferred; the answer is too.
   */
  predictor(model: string = TRAINED_MODEL): WindowPredictor {
    const shape = this.shapes.get(model);
    if (!shape) throw new TrainingError(`the model worker holds no model '${model}' (train first, or load() it)`, { model });
    const size = shape.timesteps * shape.features;
    return {
      ...shape,
      predict: async (windows, n) => {
        const own = windows.slice(0, n * size);
        const m = await this.request({ type: 'predict', id: 0, model, windows: own, n }, [own.buffer as ArrayBuffer]);
        if (m.type !== 'predicted' || m.probabilities.length !== n * NUM_CLASSES) {
          throw new TrainingError(`the model worker answered a predict of ${n} windows with ${m.type === 'predicted' ? m.probabilities.length : m.type}`, { model, n });
        }
        return m.probabilities;
      },
    };
  }

  /** Verifies (artifact.ts loadArtifact) and loads stored artifact blobs in the worker under `model`. */
  async load(model: string, blobs: readonly ArtifactBlob[], expectedFeatures: readonly string[]): Promise<WorkerModel> {
    if (model === TRAINED_MODEL) throw new RangeError(`'${TRAINED_MODEL}' is the fitted model's key`);
    const m = await this.request({ type: 'load', id: 0, model, blobs: [...blobs], expectedFeatures: [...expectedFeatures] });
    if (m.type !== 'loaded') throw new TrainingError(`the model worker answered a load with ${m.type}`, { model });
    this.shapes.set(model, { timesteps: m.timesteps, features: m.features });
    return { metadata: m.metadata, predictor: this.predictor(model) };
  }

  /** Frees a model load() added (the worker keeps running). */
  unload(model: string): void {
    if (model === TRAINED_MODEL || !this.shapes.delete(model)) return;
    this.post({ type: 'unload', model });
  }

  /**
   * Ends the worker: it disposes its models and exits; terminated if a predict keeps it busy past
   * a grace period. Requests still waiting reject with TrainingCancelledError. Idempotent; resolves
   * when the thread has exited.
   */
  async release(): Promise<void> {
    if (!this.releasing && !this.hasExited) {
      if (!this.settled) this.cancel();
      this.releasing = true;
      this.fail(new TrainingCancelledError('the model worker was released'));
      this.post({ type: 'release' });
      const timer = setTimeout(() => void this.worker.terminate(), RELEASE_GRACE_MS);
      timer.unref();
      void this.exited.then(() => clearTimeout(timer));
    }
    await this.exited;
  }

  /** The worker's thread id (for logs). */
  get threadId(): number {
    return this.worker.threadId;
  }

  private post(m: ParentToWorker, transfer: ArrayBuffer[] = []): void {
    if (this.hasExited) return;
    this.worker.postMessage(m, transfer);
  }

  private request(m: Extract<ParentToWorker, { id: number }>, transfer: ArrayBuffer[] = []): Promise<Answer> {
    if (this.gone) return Promise.reject(this.gone);
    if (!this.settled || !this.serve) return Promise.reject(new TrainingError('the training worker serves models only after a fit started with serve: true'));
    const id = this.nextId++;
    return new Promise<Answer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...m, id }, transfer);
    });
  }

  private answer(m: Answer | Extract<WorkerToParent, { type: 'failed' }>): void {
    const p = this.pending.get(m.id);
    if (!p) return; // rejected already (cancel, release)
    this.pending.delete(m.id);
    if (m.type === 'failed') p.reject(revive(m.error));
    else p.resolve(m);
  }

  /** Rejects every waiting request with `err`; no later request can be made. */
  private fail(err: Error): void {
    this.gone ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

/** Starts a training in a worker thread. */
export function startTraining(input: TrainInput, opts: TrainingRunOptions = {}): TrainingRun {
  return new TrainingRun(input, opts);
}
