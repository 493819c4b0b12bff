/**
 * The training worker thread: runs trainModel on the data it was started with and reports to its
 * parent (trainer.ts). Messages, parent → worker: { type: 'cancel' }. Worker → parent:
 * { type: 'progress', progress }, then exactly one of { type: 'result', result } or
 * { type: 'error', error: SerializedError }. The weight bytes are transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { SignalbaseError } from '../errors.ts';
import { trainModel, type TrainInput } from './train-loop.ts';

export interface SerializedError {
  name: string;
  code: string | undefined;
  message: string;
  context: Record<string, unknown>;
  stack: string | undefined;
}

export type WorkerToParent =
  | { type: 'progress'; progress: import('./train-loop.ts').TrainProgress }
  | { type: 'result'; result: import('./train-loop.ts').TrainResult }
  | { type: 'error'; error: SerializedError };

export type ParentToWorker = { type: 'cancel' };

function serialize(err: unknown): SerializedError {
  if (err instanceof SignalbaseError) return { name: err.name, code: err.code, message: err.message, context: err.context, stack: err.stack };
  if (err instanceof Error) return { name: err.name, code: undefined, message: err.message, context: {}, stack: err.stack };
  return { name: 'Error', code: undefined, message: String(err), context: {}, stack: undefined };
}

const port = parentPort;
if (!port) throw new Error('train-worker.ts must run in a worker thread (trainer.ts starts it)');

const controller = new AbortController();
port.on('message', (msg: ParentToWorker) => {
  if (msg.type === 'cancel') controller.abort();
});

const send = (m: WorkerToParent, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

try {
  const result = await trainModel(workerData as TrainInput, {
    signal: controller.signal,
    onProgress: (progress) => send({ type: 'progress', progress }),
  });
  send({ type: 'result', result }, [result.model.modelJson.buffer as ArrayBuffer, result.model.weightsBin.buffer as ArrayBuffer]);
} catch (err) {
  send({ type: 'error', error: serialize(err) });
} finally {
  port.close();
}
