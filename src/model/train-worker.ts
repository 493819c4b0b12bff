/**
 * The training worker thread: runs trainModel on the data it was started with and reports to its
 * parent (trainer.ts). Worker → parent: { type: 'progress', progress }, then exactly one of
 * { type: 'result', result } or { type: 'error', error: SerializedError }. The weight bytes are
 * transferred, not copied.
 *
 * With `serve` set, the worker stays alive after a successful fit as the job's MODEL WORKER, so the
 * job's evaluation and importance predictions never run on the parent's (the daemon's main) thread:
 *
 *   { type: 'predict', id, model, windows, n }      → { type: 'predicted', id, probabilities }
 *   { type: 'load', id, model, blobs, expected }    → { type: 'loaded', id, metadata, timesteps, features }
 *   { type: 'unload', model }                         (no answer)
 *   { type: 'release' }                               disposes every model and ends the thread
 *
 * A request that fails answers { type: 'failed', id, error }. Model keys: 'trained' is the model
 * just fitted (loaded back from its own bytes, so it predicts exactly as a main-thread load of the
 * artifact would); `load` verifies stored artifact blobs (artifact.ts loadArtifact) under any other
 * key. { type: 'cancel' } stops a fit at its next batch; it does nothing once the fit is over.
 * The message types live in model-worker-protocol.ts (importing this module starts the worker).
 */
import type * as tf from '@tensorflow/tfjs';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadArtifact, modelFromBytes } from './artifact.ts';
import { layersPredictor, type WindowPredictor } from './batcher.ts';
import { modelShape } from './lstm.ts';
import { serialize, TRAINED_MODEL, type ParentToWorker, type TrainWorkerData, type WorkerToParent } from './model-worker-protocol.ts';
import { trainModel } from './train-loop.ts';

function parentOf(): MessagePort {
  if (!parentPort) throw new Error('train-worker.ts must run in a worker thread (trainer.ts starts it)');
  return parentPort;
}
const port = parentOf();
const { input, serve } = workerData as TrainWorkerData;

const controller = new AbortController();
const models = new Map<string, { model: tf.LayersModel; predictor: WindowPredictor }>();
let released = false;

const send = (m: WorkerToParent, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function keep(key: string, model: tf.LayersModel): void {
  models.get(key)?.model.dispose();
  models.set(key, { model, predictor: layersPredictor(model) });
}

function unload(key: string): void {
  models.get(key)?.model.dispose();
  models.delete(key);
}

function release(): void {
  if (released) return;
  released = true;
  controller.abort(); // a fit still running stops at its next batch
  for (const key of [...models.keys()]) unload(key);
  port.close();
}

async function predict(msg: Extract<ParentToWorker, { type: 'predict' }>): Promise<void> {
  try {
    const m = models.get(msg.model);
    if (!m) throw new Error(`the model worker holds no model '${msg.model}'`);
    const probabilities = await m.predictor.predict(msg.windows, msg.n);
    // A view on a bigger buffer would transfer (and detach) memory tfjs may still own: copy then.
    const own = probabilities.byteOffset === 0 && probabilities.byteLength === probabilities.buffer.byteLength ? probabilities : probabilities.slice();
    send({ type: 'predicted', id: msg.id, probabilities: own }, [own.buffer as ArrayBuffer]);
  } catch (err) {
    send({ type: 'failed', id: msg.id, error: serialize(err) });
  }
}

async function load(msg: Extract<ParentToWorker, { type: 'load' }>): Promise<void> {
  try {
    const { model, metadata } = await loadArtifact(msg.blobs, msg.expectedFeatures);
    keep(msg.model, model);
    const { timesteps, features } = modelShape(model);
    send({ type: 'loaded', id: msg.id, metadata, timesteps, features });
  } catch (err) {
    send({ type: 'failed', id: msg.id, error: serialize(err) });
  }
}

port.on('message', (msg: ParentToWorker) => {
  if (released) return;
  switch (msg.type) {
    case 'cancel':
      controller.abort();
      break;
    case 'predict':
      void predict(msg);
      break;
    case 'load':
      void load(msg);
      break;
    case 'unload':
      unload(msg.model);
      break;
    case 'release':
      release();
      break;
  }
});

try {
  const result = await trainModel(input, {
    signal: controller.signal,
    onProgress: (progress) => send({ type: 'progress', progress }),
  });
  // Loaded before the bytes are transferred away; modelFromBytes copies what it keeps.
  if (serve && !released) keep(TRAINED_MODEL, await modelFromBytes(result.model));
  send({ type: 'result', result }, [result.model.modelJson.buffer as ArrayBuffer, result.model.weightsBin.buffer as ArrayBuffer]);
  if (!serve) release();
} catch (err) {
  send({ type: 'error', error: serialize(err) });
  release();
}
