import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { initBackend } from '../../src/model/backend.ts';
import { InferenceBatcher, layersPredictor, type WindowPredictor } from '../../src/model/batcher.ts';
import { InferenceError } from '../../src/model/errors.ts';
import { buildLstm } from '../../src/model/lstm.ts';
import { registry } from '../../src/metrics.ts';
import { syntheticDataset } from './synthetic.ts';

const T = 5;
const F = 3;
const SIZE = T * F;
let model: tf.Sequential;
const ds = syntheticDataset(600, T, F);
const win = (i: number) => ds.rows.slice(i * SIZE, (i + 1) * SIZE);

/** A real model's predictor that records the size of every batch it is asked for. */
function recording(p: WindowPredictor) {
  const sizes: number[] = [];
  return { sizes, predictor: { ...p, predict: (w: Float32Array, n: number) => (sizes.push(n), p.predict(w, n)) } satisfies WindowPredictor };
}

/** A predictor whose answers wait for release(), returning a constant distribution. */
function gated(probs: [number, number, number]) {
  const waiting: Array<() => void> = [];
  const sizes: number[] = [];
  const predictor: WindowPredictor = {
    timesteps: T,
    features: F,
    predict: (_w, n) =>
      new Promise((resolve) => {
        sizes.push(n);
        waiting.push(() => resolve(Float32Array.from({ length: n * 3 }, (_, i) => probs[i % 3]!)));
      }),
  };
  return { predictor, sizes, release: () => waiting.splice(0).forEach((f) => f()) };
}

beforeAll(async () => {
  await initBackend('wasm');
  model = buildLstm({ timesteps: T, features: F, units: 4 }, 3);
});
afterAll(() => model.dispose());

describe('InferenceBatcher', () => {
  it('answers the windows submitted in one turn with one predict call, as the model would one by one', async () => {
    const rec = recording(layersPredictor(model));
    const b = new InferenceBatcher(rec.predictor);
    const answers = await Promise.all([0, 1, 2, 3, 4].map((i) => b.submit(win(i))));
    expect(rec.sizes).toEqual([5]);
    for (const [i, a] of answers.entries()) {
      const single = tf.tidy(() => (model.predict(tf.tensor3d(win(i), [1, T, F])) as tf.Tensor).dataSync());
      expect(a.BUY).toBeCloseTo(single[0]!, 6);
      expect(a.SELL).toBeCloseTo(single[1]!, 6);
      expect(a.HOLD).toBeCloseTo(single[2]!, 6);
    }
    expect(b.stats()).toMatchObject({ submitted: 5, predicted: 5, batches: 1, lastBatchSize: 5 });
    await b.stop();
  });

  it('caps batches at maxBatch and waits for flush() when lingering', async () => {
    const rec = recording(layersPredictor(model));
    const b = new InferenceBatcher(rec.predictor, { maxBatch: 4, maxQueue: 16, lingerMs: 60_000 });
    const all = Promise.all(Array.from({ length: 10 }, (_, i) => b.submit(win(i))));
    // Two full batches go at once; the last two wait for company (60 s) or an explicit flush.
    await vi.waitFor(() => expect(rec.sizes).toEqual([4, 4]));
    expect(b.stats().queued).toBe(2);
    await b.flush();
    expect(rec.sizes).toEqual([4, 4, 2]);
    expect((await all).length).toBe(10);
    await b.stop();
  });

  it('rejects submissions beyond the queue bound with a counted, retryable error', async () => {
    const g = gated([0.2, 0.3, 0.5]);
    const b = new InferenceBatcher(g.predictor, { maxBatch: 2, maxQueue: 2 });
    const before = (await registry.getSingleMetric('inference_rejected_total')!.get()).values.find((v) => v.labels.reason === 'queue_full')?.value ?? 0;
    const first = [b.submit(win(0)), b.submit(win(1))];
    await vi.waitFor(() => expect(g.sizes).toEqual([2])); // in flight, out of the queue
    const queued = [b.submit(win(2)), b.submit(win(3))];
    const overflow = await b.submit(win(4)).catch((e: unknown) => e);
    expect(overflow).toBeInstanceOf(InferenceError);
    expect((overflow as InferenceError).code).toBe('INFERENCE_QUEUE_FULL');
    expect((overflow as InferenceError).retryable).toBe(true);
    expect(b.stats().rejectedQueueFull).toBe(1);
    const after = (await registry.getSingleMetric('inference_rejected_total')!.get()).values.find((v) => v.labels.reason === 'queue_full')!.value;
    expect(after - before).toBe(1);
    g.release();
    await vi.waitFor(() => expect(g.sizes).toEqual([2, 2]));
    g.release();
    expect((await Promise.all([...first, ...queued])).every((p) => p.HOLD === 0.5)).toBe(true);
    await b.stop();
  });

  it('swaps the model at a batch boundary: the batch in flight finishes on the old one', async () => {
    const a = gated([1, 0, 0]);
    const c = gated([0, 1, 0]);
    const b = new InferenceBatcher(a.predictor);
    const early = b.submit(win(0));
    await vi.waitFor(() => expect(a.sizes).toEqual([1]));
    const swapped = b.setModel(c.predictor);
    const late = b.submit(win(1));
    let swapDone = false;
    void swapped.then(() => (swapDone = true));
    await new Promise((r) => setImmediate(r));
    expect(swapDone).toBe(false); // waits for the batch in flight
    a.release();
    expect((await early).BUY).toBe(1);
    expect(await swapped).toBe(a.predictor); // the previous predictor, free to dispose
    await vi.waitFor(() => expect(c.sizes).toEqual([1]));
    c.release();
    expect((await late).SELL).toBe(1);
    expect(a.sizes).toEqual([1]);
    await b.stop();
  });

  it('predictMany batches across time in chunks of maxBatch', async () => {
    const rec = recording(layersPredictor(model));
    const b = new InferenceBatcher(rec.predictor);
    const many = await b.predictMany(ds.rows.subarray(0, 600 * SIZE));
    expect(rec.sizes).toEqual([256, 256, 88]);
    expect(many.length).toBe(600 * 3);
    const direct = tf.tidy(() => (model.predict(tf.tensor3d(ds.rows.subarray(0, 600 * SIZE), [600, T, F])) as tf.Tensor).dataSync());
    for (let i = 0; i < many.length; i++) expect(many[i]).toBeCloseTo(direct[i]!, 6);
    await b.stop();
  });

  it('refuses bad windows and work without a model, with typed errors', async () => {
    const b = new InferenceBatcher(layersPredictor(model));
    const code = (p: Promise<unknown>) => p.then(() => 'resolved', (e: InferenceError) => e.code);
    expect(await code(b.submit(new Float32Array(SIZE - 1)))).toBe('INFERENCE_BAD_INPUT');
    const nan = win(0);
    nan[4] = Number.NaN;
    expect(await code(b.submit(nan))).toBe('INFERENCE_BAD_INPUT');
    expect(await code(b.predictMany(new Float32Array(SIZE + 1)))).toBe('INFERENCE_BAD_INPUT');
    await b.setModel(null);
    expect(await code(b.submit(win(0)))).toBe('INFERENCE_NO_MODEL');
    await b.stop();
  });

  it('stop() rejects waiting windows, is idempotent, and refuses later work', async () => {
    const g = gated([0, 0, 1]);
    const b = new InferenceBatcher(g.predictor, { lingerMs: 60_000 });
    const waiting = b.submit(win(0));
    const stopped = b.stop();
    expect(b.stop()).toBe(stopped);
    await stopped;
    await expect(waiting).rejects.toMatchObject({ code: 'INFERENCE_STOPPED' });
    await expect(b.submit(win(1))).rejects.toMatchObject({ code: 'INFERENCE_STOPPED' });
    expect(g.sizes).toEqual([]);
  });

  it('times every batch in inference_batch_seconds', async () => {
    const count = async () => (await registry.getSingleMetric('inference_batch_seconds')!.get()).values.find((v) => (v as { metricName?: string }).metricName === 'inference_batch_seconds_count')!.value;
    const before = await count();
    const b = new InferenceBatcher(layersPredictor(model), { maxBatch: 2 });
    await Promise.all([0, 1, 2].map((i) => b.submit(win(i))));
    expect((await count()) - before).toBe(2);
    await b.stop();
  });
});
