/**
 * ONNX Runtime serving off the event loop: the session lives in a worker thread (session-worker.mjs)
 * and `predict` posts the windows there. onnxruntime-node's own `run` is synchronous on the calling
 * thread (deferred by one setImmediate), so on the main thread every batched predict of a tick held
 * the event loop: the outbox's drain, the journal and the websocket writes waited for it, and it
 * waited for them. In a worker, inference runs on another core while the main thread does the rest;
 * the results are the same bytes (the same session on the same inputs).
 *
 * Calls are answered in order, one at a time (the batcher already sends one batch at a time). A
 * worker that dies fails the call in flight and every later one with INFERENCE_STOPPED; the daemon
 * then serves rules until the next model load. The worker is referenced only while a call waits, so
 * an idle session never keeps the process alive.
 */
import { Worker } from 'node:worker_threads';
import { InferenceError } from '../errors.ts';
import { OnnxError } from './errors.ts';
import { ONNX_INPUT, ONNX_OUTPUT } from './export.ts';
import type { OnnxPredictor, OnnxSessionOptions } from './runtime.ts';

const WORKER_URL = new URL('./session-worker.mjs', import.meta.url);

type Reply = { id: number; ok: true; data: Float32Array } | { id: number; ok: false; message: string };
type Started = { type: 'ready' } | { type: 'failed'; message: string };

/** A predictor over an exported model whose session runs in its own worker thread. */
export async function onnxWorkerPredictor(onnx: Uint8Array, shape: { timesteps: number; features: number }, opts: OnnxSessionOptions = {}): Promise<OnnxPredictor> {
  const worker = new Worker(WORKER_URL, { workerData: { onnx, threads: opts.threads ?? 1, input: ONNX_INPUT, output: ONNX_OUTPUT } });
  const onStart: { resolve?: (s: Started) => void; reject?: (e: Error) => void } = {};
  const started = new Promise<Started>((resolve, reject) => Object.assign(onStart, { resolve, reject }));
  const startError = (err: Error) => onStart.reject!(err);
  const startExit = (code: number) => onStart.reject!(new Error(`the ONNX Runtime worker exited with code ${code} before its session was ready`));
  worker.once('message', onStart.resolve!);
  worker.once('error', startError);
  worker.once('exit', startExit);
  try {
    const s = await started;
    if (s.type === 'failed') throw new Error(s.message);
  } catch (err) {
    await worker.terminate();
    throw new OnnxError('ONNX_RUNTIME_UNAVAILABLE', `ONNX Runtime could not start the exported model in a worker thread: ${(err as Error).message}`, {}, err);
  } finally {
    // Only these three: removeAllListeners would also drop the hooks Node uses to start the message port.
    worker.off('error', startError);
    worker.off('exit', startExit);
  }
  worker.unref();

  const { timesteps, features } = shape;
  const size = timesteps * features;
  const pending = new Map<number, { resolve(d: Float32Array): void; reject(e: Error): void }>();
  let nextId = 1;
  let gone: InferenceError | null = null;
  const fail = (why: string) => {
    gone ??= new InferenceError('INFERENCE_STOPPED', `the ONNX Runtime worker ${why}`);
    for (const p of pending.values()) p.reject(gone);
    pending.clear();
    worker.unref();
  };
  worker.on('message', (r: Reply) => {
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (pending.size === 0) worker.unref();
    if (r.ok) p.resolve(r.data);
    else p.reject(new InferenceError('INFERENCE_BAD_INPUT', `ONNX Runtime refused the windows: ${r.message}`));
  });
  worker.on('error', (err) => fail(`crashed: ${err.message}`));
  worker.on('exit', (code) => fail(code === 0 ? 'was released' : `exited with code ${code}`));

  return {
    runtime: 'onnx',
    timesteps,
    features,
    predict(windows, n) {
      if (gone) return Promise.reject(gone);
      const id = nextId++;
      // A copy of the n windows (the caller's buffer is reused for the next tick), moved, not cloned.
      const input = windows.slice(0, n * size);
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        worker.ref();
        worker.postMessage({ id, windows: input, dims: [n, timesteps, features] }, [input.buffer]);
      });
    },
    async release() {
      if (gone) return;
      fail('was released');
      await worker.terminate();
    },
  };
}
