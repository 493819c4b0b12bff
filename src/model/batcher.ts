/**
 * Micro-batched inference (DESIGN.md "Models"). Live: every symbol whose candle closes in a tick
 * submits its window; the batcher runs one predict for all of them (at flush(), when `maxBatch`
 * windows wait, or at the end of the current event-loop turn / after `lingerMs`). Replay and
 * backtest: predictMany() batches across time, `maxBatch` windows per call.
 *
 * Batches run one at a time, in submission order. setModel() takes effect at a batch boundary: it
 * waits for the batch in flight (or a running predictMany), and every batch that starts after it
 * uses the new model, including windows queued before the call. It resolves with the previous
 * predictor, which nothing uses any more, so the caller can dispose it.
 *
 * Bounded: at most `maxQueue` windows wait. Overflow policy: the new submission is rejected with
 * InferenceError INFERENCE_QUEUE_FULL (retryable), counted in
 * inference_rejected_total{reason="queue_full"} and logged (at most one line per 10 s).
 */
import * as tf from '@tensorflow/tfjs';
import { Counter, Histogram } from 'prom-client';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import { NUM_CLASSES, probabilitiesAt, type Probabilities } from './classes.ts';
import { InferenceError } from './errors.ts';
import { modelShape } from './lstm.ts';

/** Anything that turns n windows [n, T, F] into probabilities [n, 3]. */
export interface WindowPredictor {
  readonly timesteps: number;
  readonly features: number;
  predict(windows: Float32Array, n: number): Promise<Float32Array>;
}

/** A tfjs layers model as a predictor. The caller still owns (and disposes) the model. */
export function layersPredictor(model: tf.LayersModel): WindowPredictor {
  const { timesteps, features } = modelShape(model);
  return {
    timesteps,
    features,
    async predict(windows, n) {
      // batchSize: n, or tfjs splits the call into chunks of 32 and the batching is lost.
      const out = tf.tidy(() => model.predict(tf.tensor3d(windows.subarray(0, n * timesteps * features), [n, timesteps, features]), { batchSize: n }) as tf.Tensor);
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
  };
}

const metric = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
const batchSeconds = metric(
  'inference_batch_seconds',
  () =>
    new Histogram({
      name: 'inference_batch_seconds',
      help: 'Duration of one batched model predict call',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
);
const windowsTotal = metric(
  'inference_windows_total',
  () => new Counter({ name: 'inference_windows_total', help: 'Windows predicted by the inference batcher', registers: [registry] }),
);
const rejectedTotal = metric(
  'inference_rejected_total',
  () =>
    new Counter({
      name: 'inference_rejected_total',
      help: 'Windows the inference batcher refused, by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
);

export interface BatcherOptions {
  /** Largest batch per predict call. */
  maxBatch?: number;
  /** Most windows waiting for a batch; beyond it submissions are rejected. */
  maxQueue?: number;
  /** How long the first window of a batch may wait for company: 0 = until the end of this event-loop turn. */
  lingerMs?: number;
  log?: Logger;
}

export interface BatcherStats {
  submitted: number;
  predicted: number;
  batches: number;
  rejectedQueueFull: number;
  queued: number;
  lastBatchSize: number;
}

interface Pending {
  window: Float32Array;
  resolve: (p: Probabilities) => void;
  reject: (e: unknown) => void;
  done: Promise<unknown>;
}

export class InferenceBatcher {
  private predictor: WindowPredictor | null;
  private readonly maxBatch: number;
  private readonly maxQueue: number;
  private readonly lingerMs: number;
  private readonly log: Logger | undefined;
  private queue: Pending[] = [];
  private tail: Promise<unknown> = Promise.resolve();
  private pumping = false;
  private timer: { timeout: NodeJS.Timeout } | { immediate: NodeJS.Immediate } | null = null;
  private stopping: Promise<void> | null = null;
  private lastOverflowLog = 0;
  private readonly counts = { submitted: 0, predicted: 0, batches: 0, rejectedQueueFull: 0, lastBatchSize: 0 };
  private buffer = new Float32Array(0);

  constructor(predictor: WindowPredictor | null, opts: BatcherOptions = {}) {
    this.predictor = predictor;
    this.maxBatch = opts.maxBatch ?? 256;
    this.maxQueue = opts.maxQueue ?? 4096;
    this.lingerMs = opts.lingerMs ?? 0;
    this.log = opts.log;
    if (!(this.maxBatch >= 1 && this.maxQueue >= this.maxBatch)) {
      throw new RangeError(`maxBatch must be >= 1 and maxQueue >= maxBatch; got ${this.maxBatch}, ${this.maxQueue}`);
    }
  }

  /** Whether a model is loaded. */
  get hasModel(): boolean {
    return this.predictor !== null;
  }

  stats(): BatcherStats {
    return { ...this.counts, queued: this.queue.length };
  }

  /** Probabilities for one window [T × F] (row-major, already scaled). */
  submit(window: Float32Array): Promise<Probabilities> {
    if (this.stopping) return Promise.reject(new InferenceError('INFERENCE_STOPPED', 'the inference batcher is stopped'));
    const p = this.predictor;
    if (!p) return Promise.reject(new InferenceError('INFERENCE_NO_MODEL', 'no model is loaded for inference'));
    const bad = this.checkWindow(window, p);
    if (bad) return Promise.reject(bad);
    if (this.queue.length >= this.maxQueue) {
      this.counts.rejectedQueueFull++;
      rejectedTotal.inc({ reason: 'queue_full' });
      const now = Date.now();
      if (now - this.lastOverflowLog >= 10_000) {
        this.lastOverflowLog = now;
        this.log?.warn({ maxQueue: this.maxQueue, rejectedTotal: this.counts.rejectedQueueFull }, 'inference queue full: rejecting windows');
      }
      return Promise.reject(
        new InferenceError('INFERENCE_QUEUE_FULL', `the inference queue holds ${this.maxQueue} windows already; try the next tick`, { maxQueue: this.maxQueue }),
      );
    }
    this.counts.submitted++;
    let resolve!: Pending['resolve'];
    let reject!: Pending['reject'];
    const promise = new Promise<Probabilities>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.queue.push({ window, resolve, reject, done: promise.then(noop, noop) });
    if (this.queue.length >= this.maxBatch) this.pump();
    else this.schedule();
    return promise;
  }

  /** Runs batches now until every window submitted before this call has its answer. */
  async flush(): Promise<void> {
    const waiting = this.queue.map((q) => q.done);
    this.pump();
    await Promise.all(waiting);
  }

  /** Swaps the model at the next batch boundary; resolves with the previous predictor once unused. */
  setModel(next: WindowPredictor | null): Promise<WindowPredictor | null> {
    return this.exclusive(async () => {
      const previous = this.predictor;
      this.predictor = next;
      return previous;
    });
  }

  /**
   * Probabilities [n × 3] for n windows laid out [n, T, F]: batches across time for replay and
   * backtest. One model answers the whole call (a swap waits for it).
   */
  predictMany(windows: Float32Array): Promise<Float32Array> {
    if (this.stopping) return Promise.reject(new InferenceError('INFERENCE_STOPPED', 'the inference batcher is stopped'));
    return this.exclusive(async () => {
      const p = this.predictor;
      if (!p) throw new InferenceError('INFERENCE_NO_MODEL', 'no model is loaded for inference');
      const size = p.timesteps * p.features;
      if (windows.length % size !== 0) {
        throw new InferenceError('INFERENCE_BAD_INPUT', `predictMany got ${windows.length} values, not a multiple of T × F = ${size}`, { values: windows.length, size });
      }
      const n = windows.length / size;
      const out = new Float32Array(n * NUM_CLASSES);
      for (let from = 0; from < n; from += this.maxBatch) {
        const k = Math.min(this.maxBatch, n - from);
        const probs = await this.timedPredict(p, windows.subarray(from * size, (from + k) * size), k);
        out.set(probs.subarray(0, k * NUM_CLASSES), from * NUM_CLASSES);
      }
      return out;
    });
  }

  /** Rejects waiting windows, lets the batch in flight finish. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.clearTimer();
      const waiting = this.queue;
      this.queue = [];
      for (const q of waiting) q.reject(new InferenceError('INFERENCE_STOPPED', 'the inference batcher stopped before this window ran'));
      try {
        await this.tail;
      } catch {
        // a failed batch already rejected its own callers
      }
    })();
    return this.stopping;
  }

  private checkWindow(w: Float32Array, p: WindowPredictor): InferenceError | null {
    const size = p.timesteps * p.features;
    if (w.length !== size) {
      return new InferenceError('INFERENCE_BAD_INPUT', `a window must hold T × F = ${p.timesteps} × ${p.features} = ${size} values; got ${w.length}`, {
        values: w.length,
        size,
      });
    }
    for (let i = 0; i < w.length; i++) {
      if (!Number.isFinite(w[i]!)) {
        return new InferenceError('INFERENCE_BAD_INPUT', `window value ${i} (timestep ${Math.floor(i / p.features)}, feature ${i % p.features}) is ${w[i]}`, {
          index: i,
        });
      }
    }
    return null;
  }

  private schedule(): void {
    if (this.timer) return;
    const fire = () => {
      this.timer = null;
      this.pump();
    };
    this.timer = this.lingerMs > 0 ? { timeout: setTimeout(fire, this.lingerMs) } : { immediate: setImmediate(fire) };
  }

  private clearTimer(): void {
    if (!this.timer) return;
    if ('timeout' in this.timer) clearTimeout(this.timer.timeout);
    else clearImmediate(this.timer.immediate);
    this.timer = null;
  }

  /** Queues one batch behind whatever runs now (a batch, a swap); re-arms itself while windows wait. */
  private pump(): void {
    this.clearTimer();
    if (this.pumping || this.queue.length === 0) return;
    this.pumping = true;
    void this.exclusive(() => this.runBatch()).finally(() => {
      this.pumping = false;
      if (this.queue.length >= this.maxBatch) this.pump();
      else if (this.queue.length > 0) this.schedule();
    });
  }

  private async runBatch(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    const p = this.predictor;
    if (!p) {
      for (const q of batch) q.reject(new InferenceError('INFERENCE_NO_MODEL', 'the model was unloaded before this window ran'));
      return;
    }
    // Windows queued for a previous model of another shape cannot run on this one.
    const size = p.timesteps * p.features;
    const runnable: Pending[] = [];
    for (const q of batch) {
      const bad = q.window.length === size ? null : this.checkWindow(q.window, p);
      if (bad) q.reject(bad);
      else runnable.push(q);
    }
    if (runnable.length === 0) return;
    if (this.buffer.length < runnable.length * size) this.buffer = new Float32Array(this.maxBatch * size);
    runnable.forEach((q, k) => this.buffer.set(q.window, k * size));
    try {
      const probs = await this.timedPredict(p, this.buffer, runnable.length);
      runnable.forEach((q, k) => q.resolve(probabilitiesAt(probs, k)));
    } catch (err) {
      for (const q of runnable) q.reject(err);
    }
  }

  private async timedPredict(p: WindowPredictor, windows: Float32Array, n: number): Promise<Float32Array> {
    const end = batchSeconds.startTimer();
    try {
      const out = await p.predict(windows, n);
      this.counts.batches++;
      this.counts.predicted += n;
      this.counts.lastBatchSize = n;
      windowsTotal.inc(n);
      return out;
    } finally {
      end();
    }
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.then(noop, noop);
    return run;
  }
}

function noop(): void {}
