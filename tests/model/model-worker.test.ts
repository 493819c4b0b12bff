/**
 * The training worker as the job's model worker (trainer.ts serve): predictions equal a main-thread
 * load of the same bytes bit for bit, a stored artifact loads and predicts there too, and the
 * lifecycle holds (cancel mid-predict, a crashing worker, release), with no thread left behind.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { modelFromBytes, packArtifact, type MetadataInput } from '../../src/model/artifact.ts';
import { initBackend } from '../../src/model/backend.ts';
import { layersPredictor } from '../../src/model/batcher.ts';
import { ArtifactError, TrainingCancelledError, TrainingError } from '../../src/model/errors.ts';
import type { TrainInput } from '../../src/model/train-loop.ts';
import { liveTrainingWorkers, startTraining, type TrainingRun } from '../../src/model/trainer.ts';
import { smallTrainInput, syntheticDataset } from './synthetic.ts';

const FEATURES = ['rsi_value', 'adx_value', 'atr_value'];
const ds = { ...syntheticDataset(320, 8, 3), featureNames: FEATURES };
const input = (seed: number): TrainInput => smallTrainInput(ds, seed, { hyper: { units: 8, batchSize: 64, maxEpochs: 2, patience: 2 } });
const meta = (): MetadataInput => ({
  features: FEATURES,
  transformsId: 'test-v1',
  scaler: {},
  weightSnapshot: {},
  timesteps: 8,
  barrier: { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 },
  metrics: null,
  backend: 'wasm',
  seed: 1,
  extra: {},
});
const windows = (from: number, n: number) => ds.rows.slice(from * 8 * 3, (from + n) * 8 * 3);
const runs: TrainingRun[] = [];
const serving = (seed: number, opts: Parameters<typeof startTraining>[1] = {}) => {
  const run = startTraining(input(seed), { serve: true, ...opts });
  runs.push(run);
  return run;
};
let baseline = 0;

beforeAll(async () => {
  await initBackend('wasm');
  baseline = liveTrainingWorkers();
});
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.release()));
  expect(liveTrainingWorkers()).toBe(baseline);
});

describe('the model worker (startTraining serve)', () => {
  it('predicts exactly what the fitted model predicts on this thread, bit for bit', async () => {
    const run = serving(3);
    const r = await run.result;
    const model = await modelFromBytes(r.model);
    try {
      const here = layersPredictor(model);
      const there = run.predictor();
      expect([there.timesteps, there.features]).toEqual([8, 3]);
      // A buffer bigger than n windows: only n are sent, and the caller's buffer stays usable.
      const buf = windows(0, 300);
      const a = await there.predict(buf, 257);
      expect(buf.length).toBe(300 * 8 * 3);
      const b = await here.predict(buf, 257);
      expect(a.length).toBe(257 * 3);
      expect(Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength))).toBe(true);
      // The same windows in another batch size give the same rows (evaluation batches changed size).
      const c = await there.predict(windows(128, 64), 64);
      expect(Array.from(c)).toEqual(Array.from(a.subarray(128 * 3, 192 * 3)));
    } finally {
      model.dispose();
    }
  });

  it('loads and verifies a stored artifact beside the fitted model, and unloads it', async () => {
    const other = await startTraining(input(4)).result;
    const run = serving(3);
    await run.result;
    const blobs = packArtifact(other.model, other.weightsSha256, meta());
    const loaded = await run.load('stored/x', blobs, FEATURES);
    expect(loaded.metadata.weightsSha256).toBe(other.weightsSha256);
    const model = await modelFromBytes(other.model);
    try {
      const mine = await loaded.predictor.predict(windows(0, 50), 50);
      expect(Array.from(mine)).toEqual(Array.from(await layersPredictor(model).predict(windows(0, 50), 50)));
      expect(Array.from(await run.predictor().predict(windows(0, 50), 50))).not.toEqual(Array.from(mine));
    } finally {
      model.dispose();
    }
    // Verification happens in the worker and comes back as the same typed error.
    const err = await run.load('stored/y', blobs, ['rsi_value']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as ArtifactError).code).toBe('ARTIFACT_FEATURES_MISMATCH');
    run.unload('stored/x');
    expect(() => run.predictor('stored/x')).toThrow(TrainingError);
  });

  it('cancel mid-predict: the waiting predict rejects at once, without waiting for the worker, and the worker ends', async () => {
    const ac = new AbortController();
    // A worker whose predict never returns: a rejection can only come from the cancel itself.
    const run = serving(3, { signal: ac.signal, workerUrl: new URL('./fixtures/hang-on-predict-entry.mjs', import.meta.url) });
    await run.result;
    const pending = run.predictor().predict(windows(0, 10), 10);
    ac.abort();
    const err = await pending.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingCancelledError);
    // Rejected while the stuck worker still runs (it is terminated after the release grace).
    expect(liveTrainingWorkers()).toBe(baseline + 1);
    await run.exited;
    expect(liveTrainingWorkers()).toBe(baseline);
    await expect(run.predictor().predict(windows(0, 1), 1)).rejects.toBeInstanceOf(TrainingCancelledError);
  });

  it('a worker dying mid-predict rejects the request with TrainingError, not a hang', async () => {
    const run = serving(3, { workerUrl: new URL('./fixtures/crash-on-predict-entry.mjs', import.meta.url) });
    await run.result;
    const err = await run.predictor().predict(windows(0, 10), 10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingError);
    expect((err as TrainingError).context).toMatchObject({ exitCode: 7 });
    expect(await run.exited).toBe(7);
    await expect(run.predictor().predict(windows(0, 1), 1)).rejects.toBeInstanceOf(TrainingError);
  });

  it('release ends the thread; later requests reject; release is idempotent', async () => {
    const run = serving(3);
    await run.result;
    expect(liveTrainingWorkers()).toBe(baseline + 1);
    await Promise.all([run.release(), run.release()]);
    expect(liveTrainingWorkers()).toBe(baseline);
    await expect(run.predictor().predict(windows(0, 1), 1)).rejects.toBeInstanceOf(TrainingCancelledError);
    await run.release();
  });

  it.runIf(existsSync('/proc/self/task'))('runs the worker thread at the nice value asked for (Linux)', async () => {
    // Nice values of this process's threads (field 19 of /proc/<pid>/task/<tid>/stat).
    const nices = () =>
      readdirSync('/proc/self/task').map((tid) => {
        try {
          return Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
        } catch {
          return Number.NaN; // the thread ended meanwhile
        }
      });
    expect(nices()).not.toContain(7);
    const run = serving(3, { niceness: 7 });
    await run.result;
    expect(nices().filter((n) => n === 7).length).toBeGreaterThanOrEqual(1);
    await run.release();
    expect(nices()).not.toContain(7);
  });

  it('without serve the thread ends after the fit and serves nothing', async () => {
    const run = startTraining(input(3));
    await run.result;
    await run.exited;
    expect(liveTrainingWorkers()).toBe(baseline);
    await expect(run.predictor().predict(windows(0, 1), 1)).rejects.toBeInstanceOf(TrainingError);
  });
});
