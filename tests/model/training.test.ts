import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/model/backend.ts';
import { DatasetError, TrainingCancelledError } from '../../src/model/errors.ts';
import { trainModel, type TrainInput } from '../../src/model/train-loop.ts';
import { startTraining } from '../../src/model/trainer.ts';
import { range, smallTrainInput, syntheticDataset } from './synthetic.ts';

// Small shapes keep each training well under a second (T=8, F=3, 8 units).
const ds = syntheticDataset(320, 8, 3);
const input = (seed: number, extra: Partial<TrainInput> = {}): TrainInput => smallTrainInput(ds, seed, extra);

beforeAll(async () => {
  await initBackend('wasm');
});

describe('trainModel (in-process)', () => {
  it('is deterministic: same seed → same weights hash; another seed → a different one', async () => {
    const a = await trainModel(input(1));
    const b = await trainModel(input(1));
    const c = await trainModel(input(2));
    expect(a.weightsSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.weightsSha256).toBe(a.weightsSha256);
    expect(c.weightsSha256).not.toBe(a.weightsSha256);
    expect(a.history.map((h) => h.valLoss)).toEqual(b.history.map((h) => h.valLoss));
    expect(a.backend).toBe('wasm');
    expect(a.bestEpoch).toBeGreaterThanOrEqual(1);
    expect(a.history.length).toBe(a.epochsRun);
  });

  it('disposes every tensor it creates, on success and on cancellation', async () => {
    const baseline = tf.memory().numTensors;
    await trainModel(input(3));
    expect(tf.memory().numTensors).toBe(baseline);
    const ac = new AbortController();
    const err = await trainModel(input(3, { hyper: { units: 8, batchSize: 32, maxEpochs: 50, patience: 50 } }), {
      signal: ac.signal,
      onProgress: (p) => {
        if (p.kind === 'batch' && p.batch === 3) ac.abort();
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingCancelledError);
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('stops early on validation loss and keeps the best epoch', async () => {
    // A high learning rate on noise overfits fast: validation loss stops improving.
    const noisy = syntheticDataset(320, 8, 3, 11);
    noisy.labels.set(Uint8Array.from({ length: 320 }, (_, i) => (i * 7) % 3));
    const r = await trainModel({ ...input(4), dataset: noisy, hyper: { units: 8, batchSize: 32, maxEpochs: 40, patience: 2, learningRate: 0.05 } });
    expect(r.stoppedEarly).toBe(true);
    expect(r.epochsRun).toBeLessThan(40);
    expect(r.epochsRun - r.bestEpoch).toBe(2);
    const best = Math.min(...r.history.map((h) => h.valLoss));
    expect(r.bestValLoss).toBe(best);
    expect(r.history[r.bestEpoch - 1]!.valLoss).toBe(best);
  });

  it('names the sample, row and feature of a NaN', async () => {
    const bad = syntheticDataset(320, 8, 3);
    bad.rows[(5 * 8 + 2) * 3 + 1] = Number.NaN; // sample 5, timestep 2, feature f1
    const err = (await trainModel({ ...input(1), dataset: bad }).catch((e: unknown) => e)) as DatasetError;
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.code).toBe('DATASET_NAN');
    expect(err.context).toMatchObject({ sample: 5, timestep: 2, feature: 'f1', row: 42 });
  });

  it('refuses a single class and rows outside the dataset', async () => {
    const oneClass = syntheticDataset(320, 8, 3);
    oneClass.labels.fill(2);
    const single = (await trainModel({ ...input(1), dataset: oneClass }).catch((e: unknown) => e)) as DatasetError;
    expect(single).toBeInstanceOf(DatasetError);
    expect(single.code).toBe('DATASET_SINGLE_CLASS');
    expect(single.context).toMatchObject({ counts: { BUY: 0, SELL: 0, HOLD: 256 } });
    const outside = (await trainModel({ ...input(1), valRows: Int32Array.of(5, 320) }).catch((e: unknown) => e)) as DatasetError;
    expect(outside.code).toBe('DATASET_SHAPE');
  });
});

describe('startTraining (worker thread)', () => {
  it('trains in a worker to the same weights as in-process, reporting progress', async () => {
    const inProcess = await trainModel(input(5));
    const run = startTraining(input(5));
    const kinds: string[] = [];
    run.on('progress', (p) => kinds.push(p.kind));
    const r = await run.result;
    expect(r.weightsSha256).toBe(inProcess.weightsSha256);
    expect(kinds.filter((k) => k === 'epoch').length).toBe(r.epochsRun);
    expect(kinds.filter((k) => k === 'batch').length).toBe(r.epochsRun * 4); // 256 rows / 64
    expect(r.model.weightsBin.byteLength).toBeGreaterThan(0);
  });

  it('keeps the event loop running while a training runs', async () => {
    // Counted in event-loop turns, not in timer ticks (a wall-clock rate): a setImmediate callback
    // runs once per turn. In-process the loop turns once between two batches (train-loop's
    // yieldToEventLoop), so at most a couple of callbacks fit between two batch reports; with the
    // fit in a worker the main thread turns freely while the worker is inside a batch.
    const big = syntheticDataset(512, 40, 8);
    const job = {
      ...input(6),
      dataset: big,
      trainRows: range(0, 384),
      valRows: range(384, 512),
      hyper: { units: 32, batchSize: 192, maxEpochs: 2, patience: 2 },
    };
    // After each batch report a chain of setImmediate callbacks runs until it has counted 10 turns
    // (microseconds of work: the main thread does not compete with the worker for the cores); the
    // next batch report resets the count.
    const counter = () => {
      let turnsSinceBatch = 0;
      let spinning = false;
      const c = { reports: 0, batchesWithTurns: 0 };
      const spin = () => {
        if (++turnsSinceBatch >= 10) {
          spinning = false;
          c.batchesWithTurns++;
          return;
        }
        setImmediate(spin);
      };
      const onBatch = () => {
        c.reports++;
        turnsSinceBatch = 0;
        if (!spinning) {
          spinning = true;
          setImmediate(spin);
        }
      };
      return { c, onBatch };
    };
    // The control: in-process the count never reaches 10 within a batch (the test can tell).
    const inProcess = counter();
    await trainModel(job, { onProgress: (p) => void (p.kind === 'batch' && inProcess.onBatch()) });
    expect(inProcess.c.reports).toBe(4); // 2 epochs × 384 / 192
    expect(inProcess.c.batchesWithTurns).toBe(0);

    const inWorker = counter();
    const run = startTraining(job);
    run.on('progress', (p) => void (p.kind === 'batch' && inWorker.onBatch()));
    await run.result;
    expect(inWorker.c.reports).toBe(4);
    // The main thread turned freely while the worker was inside a batch, after most of them.
    expect(inWorker.c.batchesWithTurns).toBeGreaterThanOrEqual(2);
  });

  it('cancels at the next batch and rejects with TrainingCancelledError', async () => {
    const ac = new AbortController();
    const run = startTraining(input(7, { hyper: { units: 8, batchSize: 16, maxEpochs: 200, patience: 200 } }), {
      signal: ac.signal,
      cancelGraceMs: 30_000,
    });
    let batches = 0;
    run.on('progress', (p) => {
      if (p.kind === 'batch') batches++;
    });
    // Cancelled before the fit starts: the cancel message waits on the worker's port and is read at
    // the worker's first yield, which comes no later than right after its first batch (train-loop
    // yields after every batch). State, not timing: whatever the load, the fit does at most one of
    // its 200 × 16 batches.
    ac.abort();
    const err = await run.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingCancelledError);
    // Stopped by the worker itself at a batch boundary, not by terminate() (30 s grace).
    expect((err as Error).message).toBe('training cancelled');
    expect(batches).toBeLessThanOrEqual(1);
  });

  it('terminates a worker that does not stop within the grace period', async () => {
    const run = startTraining(input(8, { hyper: { units: 8, batchSize: 16, maxEpochs: 200, patience: 200 } }), { cancelGraceMs: 0 });
    run.cancel();
    run.cancel(); // idempotent
    const err = await run.result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingCancelledError);
    // Ended by terminate(), not by the worker reaching a batch: with no grace, the terminate comes
    // long before a worker that is still loading its modules could read the cancel message.
    expect((err as Error).message).toBe('training cancelled (worker terminated)');
  });

  it('reports bad input from the worker as the same typed error', async () => {
    const err = await startTraining(input(1, { classWeights: [1, 1, 1], trainRows: new Int32Array(0) })).result.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatasetError);
    expect((err as DatasetError).code).toBe('DATASET_TOO_SMALL');
  });
});
