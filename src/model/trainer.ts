/**
 * Training off the main thread: `startTraining` runs train-loop.ts in a worker_threads Worker, so
 * the live loop (ticks, websocket, store) never waits for it. The returned TrainingRun emits
 * 'progress' events (batch and epoch; the CLI draws its bar from them), logs a line per epoch and
 * at most one batch line per `logEveryMs` (the daemon's view), and settles `result` once.
 *
 * Threads: in Node the wasm backend is single-threaded, so a training occupies one core and the
 * live loop keeps the other. The worker picks its backend with the same preference as the process.
 *
 * Cancellation: cancel() (or the caller's AbortSignal) asks the worker to stop at its next batch;
 * `result` then rejects with TrainingCancelledError. If the worker has not stopped after
 * `cancelGraceMs` it is terminated, the last resort.
 */
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log.ts';
import { BackendError, DatasetError, TrainingCancelledError, TrainingError, type DatasetErrorCode } from './errors.ts';
import type { TrainInput, TrainProgress, TrainResult } from './train-loop.ts';
import type { ParentToWorker, SerializedError, WorkerToParent } from './train-worker.ts';

export interface TrainingRunOptions {
  signal?: AbortSignal;
  log?: Logger;
  /** How long a cancelled worker may take to reach its next batch before it is terminated. */
  cancelGraceMs?: number;
  /** Minimum interval between batch progress log lines. */
  logEveryMs?: number;
}

const WORKER_URL = new URL('./train-worker-entry.mjs', import.meta.url);

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
    default:
      return new TrainingError(`training failed in the worker: ${e.name}: ${e.message}`, { ...context, workerErrorCode: e.code });
  }
}

export class TrainingRun extends EventEmitter<{ progress: [TrainProgress] }> {
  /** Settles once: the trained model, or a typed error (TrainingCancelledError when cancelled). */
  readonly result: Promise<TrainResult>;
  private readonly worker: Worker;
  private settled = false;
  private cancelRequested = false;
  private cancelTimer: NodeJS.Timeout | undefined;
  private readonly onAbort = () => this.cancel();

  constructor(input: TrainInput, private readonly opts: TrainingRunOptions = {}) {
    super();
    const log = opts.log;
    // execArgv: [] so the worker does not inherit loaders or flags meant for the parent (vitest's,
    // tsx's): the entry file registers tsx itself.
    this.worker = new Worker(WORKER_URL, { workerData: input, execArgv: [] });
    let lastBatchLog = 0;
    const logEvery = opts.logEveryMs ?? 30_000;

    this.result = new Promise<TrainResult>((resolve, reject) => {
      const settle = (fn: () => void) => {
        if (this.settled) return;
        this.settled = true;
        clearTimeout(this.cancelTimer);
        opts.signal?.removeEventListener('abort', this.onAbort);
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
          settle(() => resolve(m.result));
        } else if (m.type === 'error') {
          settle(() => reject(revive(m.error)));
        }
      });
      this.worker.on('error', (err) => settle(() => reject(new TrainingError(`the training worker crashed: ${err.message}`, {}, err))));
      this.worker.on('exit', (code) =>
        settle(() =>
          reject(
            this.cancelRequested
              ? new TrainingCancelledError('training cancelled (worker terminated)')
              : new TrainingError(`the training worker exited with code ${code} before reporting a result`, { exitCode: code }),
          ),
        ),
      );
    });
    // The caller decides what a failure means; an unobserved rejection must not crash the process.
    this.result.catch(() => undefined);
    if (opts.signal?.aborted) this.cancel();
    else opts.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  /** Asks the worker to stop at its next batch; terminates it after the grace period. Idempotent. */
  cancel(): void {
    if (this.settled || this.cancelRequested) return;
    this.cancelRequested = true;
    this.opts.log?.info('training cancel requested');
    this.worker.postMessage({ type: 'cancel' } satisfies ParentToWorker);
    this.cancelTimer = setTimeout(() => {
      this.opts.log?.warn({ graceMs: this.opts.cancelGraceMs ?? 15_000 }, 'training worker did not stop in time; terminating it');
      void this.worker.terminate();
    }, this.opts.cancelGraceMs ?? 15_000);
    this.cancelTimer.unref();
  }

  /** The worker's thread id (for logs). */
  get threadId(): number {
    return this.worker.threadId;
  }
}

/** Starts a training in a worker thread. */
export function startTraining(input: TrainInput, opts: TrainingRunOptions = {}): TrainingRun {
  return new TrainingRun(input, opts);
}
