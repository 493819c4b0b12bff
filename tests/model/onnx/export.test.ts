import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelToBytes, packArtifact, sha256Hex, type ArtifactBlob } from '../../../src/model/artifact.ts';
import { initBackend } from '../../../src/model/backend.ts';
import { layersPredictor } from '../../../src/model/batcher.ts';
import { buildLstm, weightsSha256 } from '../../../src/model/lstm.ts';
import { compareOutputs, seededWindows } from '../../../src/model/onnx/check.ts';
import { OnnxError } from '../../../src/model/onnx/errors.ts';
import { exportOnnx } from '../../../src/model/onnx/export.ts';
import { onnxPredictor } from '../../../src/model/onnx/runtime.ts';
import { chooseRuntime, servingRuntime } from '../../../src/model/onnx/serving.ts';
import { mulberry32 } from '../../../src/ingest/prng.ts';
import { registry as metrics } from '../../../src/metrics.ts';
import { loadArtifact } from '../../../src/model/artifact.ts';

const T = 12;
const F = 5;
const U = 8;
const N = 64;

/** Weights drawn over [-1, 1] (biases too, which the zero initializer would leave untested), seeded. */
function randomise(model: tf.LayersModel, seed: number): void {
  const rnd = mulberry32(seed);
  for (const w of model.weights) {
    const v = w.read();
    w.write(tf.tensor(Float32Array.from(v.dataSync(), () => rnd() * 2 - 1), v.shape));
  }
}

/** The production net with recurrent activation `rec` (tfjs's default hard_sigmoid, or sigmoid). */
function net(rec: 'hardSigmoid' | 'sigmoid', seed: number): tf.LayersModel {
  if (rec === 'hardSigmoid') {
    const m = buildLstm({ timesteps: T, features: F, units: U }, seed);
    randomise(m, seed);
    return m;
  }
  const m = tf.sequential({
    layers: [tf.layers.lstm({ units: U, inputShape: [T, F], recurrentActivation: 'sigmoid' }), tf.layers.dense({ units: 3, activation: 'softmax' })],
  });
  randomise(m, seed);
  return m;
}

const log = { info() {}, warn() {}, debug() {}, error() {}, child: () => log } as never;

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ONNX export of the tfjs LSTM', () => {
  const models: tf.LayersModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const rec of ['hardSigmoid', 'sigmoid'] as const) {
    it(`${rec} gates: ONNX Runtime's probabilities equal tfjs's within 1e-5 and every signal decision agrees`, async () => {
      const model = net(rec, 11);
      models.push(model);
      const { onnx, shape } = exportOnnx(await modelToBytes(model));
      expect(shape).toEqual({ timesteps: T, features: F, units: U, classes: 3, recurrentActivation: rec === 'sigmoid' ? 'sigmoid' : 'hard_sigmoid' });
      const ort = await onnxPredictor(onnx, shape);
      try {
        // Inputs beyond ±2.5 drive the hard sigmoid into both clipped ends.
        const x = seededWindows(N, T, F, 3).map((v) => v * 2);
        const tfjs = await layersPredictor(model).predict(x, N);
        const out = await ort.predict(x, N);
        const r = compareOutputs(tfjs, out, N, 'seeded');
        expect(r.ok).toBe(true);
        expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-5);
        // And the decisions are not all one class (the comparison would be vacuous).
        expect(new Set(Array.from({ length: N }, (_, k) => [0, 1, 2].reduce((b, c) => (out[k * 3 + c]! > out[k * 3 + b]! ? c : b), 0))).size).toBeGreaterThan(1);
        // Batch 1 answers the same as the batch.
        expect(Array.from(await ort.predict(x.subarray(0, T * F), 1))).toEqual(Array.from(out.subarray(0, 3)));
      } finally {
        await ort.release();
      }
    });
  }

  it('the export is deterministic and refuses a net it does not know', async () => {
    const model = net('hardSigmoid', 5);
    models.push(model);
    const bytes = await modelToBytes(model);
    expect(sha256Hex(exportOnnx(bytes).onnx)).toBe(sha256Hex(exportOnnx(bytes).onnx));
    const err = (() => {
      try {
        exportOnnx({ modelJson: new TextEncoder().encode('{}'), weightsBin: new Uint8Array(0) });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(OnnxError);
    expect((err as OnnxError).code).toBe('ONNX_EXPORT_FAILED');
    expect(() => exportOnnx({ modelJson: bytes.modelJson, weightsBin: bytes.weightsBin.subarray(0, 16) })).toThrow(/weights.bin is shorter/);
  });

  it('compareOutputs fails a difference above 1e-5, and a changed signal decision', () => {
    const a = Float32Array.from([0.6, 0.2, 0.2, 0.2, 0.2, 0.6]);
    expect(compareOutputs(a, a, 2, 'seeded').ok).toBe(true);
    const off = Float32Array.from(a);
    off[4] = a[4]! + 2e-5;
    expect(compareOutputs(a, off, 2, 'seeded')).toMatchObject({ ok: false, decisionsDiffering: 0 });
    // Within tolerance but across the 0.45 confidence line: BUY becomes HOLD.
    const edge = Float32Array.from([0.450003, 0.2749985, 0.2749985]);
    const below = Float32Array.from([0.449997, 0.2750015, 0.2750015]);
    expect(compareOutputs(edge, below, 1, 'seeded')).toMatchObject({ ok: false, decisionsDiffering: 1 });
    expect(compareOutputs(a, Float32Array.from([NaN, 0, 0, 0, 0, 0]), 2, 'seeded').ok).toBe(false);
  });
});

describe('chooseRuntime (INFERENCE_RUNTIME)', () => {
  let model: tf.LayersModel;
  let blobs: ArtifactBlob[];
  beforeAll(async () => {
    model = net('hardSigmoid', 21);
    const bytes = await modelToBytes(model);
    blobs = packArtifact(bytes, weightsSha256(model), {
      features: ['rsi', 'macd', 'macd_signal', 'macd_histogram', 'bb_upper'],
      transformsId: 'x',
      scaler: {},
      weightSnapshot: {},
      timesteps: T,
      barrier: { tpAtrMult: 2, slAtrMult: 1, horizon: 12, feePct: 0.1 },
      metrics: null,
      backend: 'wasm',
      seed: 21,
      extra: {},
    });
  });
  afterAll(() => model.dispose());

  async function choose(preference: 'auto' | 'onnx' | 'tfjs', extra: ArtifactBlob[] = [], record?: unknown) {
    const { model: m, metadata } = await loadArtifact(blobs, ['rsi', 'macd', 'macd_signal', 'macd_histogram', 'bb_upper']);
    if (record) metadata.extra.onnx = record;
    const tfjs = layersPredictor(m);
    const s = await chooseRuntime({ version: 'v-test', preference, blobs: [...blobs, ...extra], metadata, tfjs, log });
    return { s, tfjs, dispose: async () => (await s.release(), m.dispose()) };
  }

  it('auto: a model without model.onnx is exported on load, checked, and served by ONNX Runtime (logged, gauge, status)', async () => {
    const { s, tfjs, dispose } = await choose('auto');
    try {
      expect(s.choice.runtime).toBe('onnx');
      expect(s.choice.reason).toMatch(/exported on load.*equal to tfjs on 64 seeded windows/);
      expect(s.predictor).not.toBe(tfjs);
      expect(servingRuntime()).toMatchObject({ version: 'v-test', runtime: 'onnx' });
      expect(await metrics.getSingleMetricAsString('inference_runtime_info')).toMatch(/inference_runtime_info\{runtime="onnx"\} 1/);
    } finally {
      await dispose();
    }
  });

  it('tfjs forces tfjs; a stored model.onnx whose sha256 differs from its record keeps tfjs under auto and fails under onnx', async () => {
    const forced = await choose('tfjs');
    expect(forced.s.choice.runtime).toBe('tfjs');
    expect(forced.s.predictor).toBe(forced.tfjs);
    await forced.dispose();
    expect(await metrics.getSingleMetricAsString('inference_runtime_info')).toMatch(/runtime="tfjs"\} 1/);

    const bogus = new Uint8Array([1, 2, 3]);
    const blob: ArtifactBlob = { name: 'model.onnx', contentType: 'application/octet-stream', bytes: bogus, sha256: sha256Hex(bogus) };
    const record = { sha256: 'f'.repeat(64), exporter: 1, opset: 17, ort: '1', check: { windows: 1, maxAbsDiff: 0, decisionsDiffering: 0, tolerance: 1e-5, source: 'test_window' } };
    const auto = await choose('auto', [blob], record);
    expect(auto.s.choice).toMatchObject({ runtime: 'tfjs', reason: expect.stringMatching(/does not match the sha256/) });
    await auto.dispose();
    await expect(choose('onnx', [blob], record)).rejects.toMatchObject({ code: 'ONNX_CHECK_FAILED' });
  });
});
