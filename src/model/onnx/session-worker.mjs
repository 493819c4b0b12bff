// The thread an ONNX Runtime session runs in for serving (worker.ts onnxWorkerPredictor): plain
// JavaScript, since it needs nothing of the project but onnxruntime-node, and a worker would
// otherwise have to register the TypeScript loader for its own thread first.
//
// workerData: { onnx: Uint8Array, threads, input, output }. Posts { type: 'ready' } once the session
// exists, or { type: 'failed', message }. Then answers { id, windows, dims } with
// { id, ok: true, data } (data: Float32Array, its buffer transferred) or { id, ok: false, message }.
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort;
const { onnx, threads, input, output } = workerData;

try {
  const mod = await import('onnxruntime-node');
  const ort = mod.default ?? mod;
  const session = await ort.InferenceSession.create(onnx, {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
  });
  port.on('message', (req) => {
    session.run({ [input]: new ort.Tensor('float32', req.windows, req.dims) }).then(
      (out) => {
        const data = out[output].data.slice(); // its own buffer, which can be transferred
        port.postMessage({ id: req.id, ok: true, data }, [data.buffer]);
      },
      (err) => port.postMessage({ id: req.id, ok: false, message: String(err?.message ?? err) }),
    );
  });
  port.postMessage({ type: 'ready' });
} catch (err) {
  port.postMessage({ type: 'failed', message: String(err?.message ?? err) });
}
