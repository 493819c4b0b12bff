/**
 * The serving session in a worker thread (src/model/onnx/worker.ts): the same probabilities as the
 * same exported model run on this thread, calls answered in order, and a released session refusing
 * further windows with a typed error instead of leaving them unanswered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type * as tf from '@tensorflow/tfjs';
import { modelToBytes } from '../../../src/model/artifact.ts';
import { initBackend } from '../../../src/model/backend.ts';
import { buildLstm } from '../../../src/model/lstm.ts';
import { seededWindows } from '../../../src/model/onnx/check.ts';
import { exportOnnx } from '../../../src/model/onnx/export.ts';
import { onnxPredictor } from '../../../src/model/onnx/runtime.ts';
import { onnxWorkerPredictor } from '../../../src/model/onnx/worker.ts';

const T = 10;
const F = 4;

let model: tf.LayersModel;
let onnx: Uint8Array;
beforeAll(async () => {
  await initBackend('wasm');
  model = buildLstm({ timesteps: T, features: F, units: 6 }, 3);
  onnx = exportOnnx(await modelToBytes(model)).onnx;
});
afterAll(() => model?.dispose());

describe('ONNX Runtime session in a worker thread', () => {
  it('predicts exactly what the same session predicts on this thread, batches answered in order', async () => {
    const here = await onnxPredictor(onnx, { timesteps: T, features: F });
    const there = await onnxWorkerPredictor(onnx, { timesteps: T, features: F });
    try {
      expect(there.runtime).toBe('onnx');
      const windows = seededWindows(40, T, F);
      const expected = await here.predict(windows, 40);
      // Several calls in flight at once, over prefixes of one buffer the caller keeps using.
      const sizes = [40, 1, 17, 40];
      const got = await Promise.all(sizes.map((n) => there.predict(windows, n)));
      sizes.forEach((n, k) => {
        expect(got[k]).toHaveLength(n * 3);
        expect(Array.from(got[k]!)).toEqual(Array.from(expected.subarray(0, n * 3)));
      });
      expect(windows).toEqual(seededWindows(40, T, F)); // the caller's windows are left as they were
    } finally {
      await here.release();
      await there.release();
    }
  });

  it('a released session refuses windows with INFERENCE_STOPPED; release is idempotent', async () => {
    const p = await onnxWorkerPredictor(onnx, { timesteps: T, features: F });
    await p.release();
    await p.release();
    await expect(p.predict(seededWindows(1, T, F), 1)).rejects.toMatchObject({ code: 'INFERENCE_STOPPED' });
  });

  it('bytes that are not a model fail to start with ONNX_RUNTIME_UNAVAILABLE', async () => {
    await expect(onnxWorkerPredictor(new Uint8Array([1, 2, 3]), { timesteps: T, features: F })).rejects.toMatchObject({ code: 'ONNX_RUNTIME_UNAVAILABLE' });
  });
});
