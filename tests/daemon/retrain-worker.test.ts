/**
 * RetrainWorker on a real embedded store (PGlite in memory, migrated): the queue's rules, with a
 * fake trainer (the trainer is not the subject here; the real job is tested in tests/model and
 * tests/daemon/retrain.test.ts). The fake registers a 'trained' ml_models row per run, as the real
 * job does, so "how many trainings ran" is read from the store.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { RetrainWorker, type TrainerPort } from '../../src/daemon/retrain-worker.ts';
import type { TrainOutcome } from '../../src/daemon/models.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { RetrainRequest } from '../../src/store/types.ts';
import { memoryStore, silentLogger } from '../helpers/pg.ts';

const DAY = 86_400_000;
const log = silentLogger();

class FakeTrainer implements TrainerPort {
  busy = false;
  lastError: string | null = null;
  runs: string[] = [];
  fail: string | null = null;
  /** While set, run() waits for it (to observe a training in flight). */
  gate: Promise<void> | null = null;

  constructor(private readonly store: SqlStore) {}

  async run(reason: string): Promise<TrainOutcome | null> {
    this.busy = true;
    this.runs.push(reason);
    try {
      if (this.gate) await this.gate;
      if (this.fail) {
        this.lastError = this.fail;
        return null;
      }
      this.lastError = null;
      const version = `v-fake-${this.runs.length}`;
      await this.store.createModel({ version });
      await this.store.updateModel(version, { status: 'trained', statusReason: 'fake' });
      return { version, activated: false, reason: 'fake gate', durationMs: 1 };
    } finally {
      this.busy = false;
    }
  }
}

let store: SqlStore;
let trainer: FakeTrainer;
let worker: RetrainWorker;

function makeWorker(opts: { minIntervalDays?: number; now?: () => number; id?: string } = {}): RetrainWorker {
  const w = new RetrainWorker({
    store,
    trainer,
    worker: opts.id ?? 'test-host:1',
    minIntervalDays: opts.minIntervalDays ?? 7,
    log,
    pollMs: 50,
    clock: { now: opts.now ?? (() => Date.now()) },
  });
  w.start();
  return w;
}

async function ended(id: string): Promise<RetrainRequest> {
  let r: RetrainRequest | null = null;
  await vi.waitFor(
    async () => {
      r = await store.getRetrain(id);
      expect(['DONE', 'FAILED', 'SKIPPED']).toContain(r?.status);
    },
    { timeout: 10_000, interval: 20 },
  );
  return r!;
}

async function trainedModels(): Promise<number> {
  return (await store.listModels()).filter((m) => m.status === 'trained').length;
}

// Migrating PGlite takes seconds here: one store for the file, emptied before each test.
beforeAll(async () => {
  store = await memoryStore();
}, 120_000);

afterAll(async () => {
  await store.close();
});

beforeEach(async () => {
  await store.client.query('TRUNCATE public.ml_retrain_requests, public.ml_models CASCADE');
  trainer = new FakeTrainer(store);
});

afterEach(async () => {
  await worker?.stop();
});

describe('RetrainWorker', () => {
  it('claims nothing until it leads, then trains a request with no earlier model and ends it DONE with the version', async () => {
    worker = makeWorker();
    const r = await store.enqueueRetrain({ source: 'cli', reason: 'test' });
    // Not leading: several polls pass and the request stays PENDING.
    await new Promise((res) => setTimeout(res, 200));
    expect((await store.getRetrain(r.id))?.status).toBe('PENDING');
    worker.lead();
    const done = await ended(r.id);
    expect(done).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-1', claimedBy: 'test-host:1', error: null });
    expect(trainer.runs).toHaveLength(1);
  });

  it('skips a request that is not forced when the last training is newer than MIN_RETRAIN_INTERVAL_DAYS; a forced one trains', async () => {
    await store.createModel({ version: 'v-earlier' });
    await store.updateModel('v-earlier', { status: 'trained' });
    worker = makeWorker({ minIntervalDays: 7 });
    worker.lead();
    const scheduled = await store.enqueueRetrain({ source: 'cron' });
    worker.wake();
    const skipped = await ended(scheduled.id);
    expect(skipped.status).toBe('SKIPPED');
    expect(skipped.error).toContain('MIN_RETRAIN_INTERVAL_DAYS=7');
    expect(skipped.error).toContain('v-earlier');
    expect(trainer.runs).toHaveLength(0);

    const forced = await store.enqueueRetrain({ source: 'cli', force: true });
    worker.wake();
    expect(await ended(forced.id)).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-1' });
    expect(await trainedModels()).toBe(2); // v-earlier and the forced run
  });

  it('trains a scheduled request once the last training is older than the interval', async () => {
    await store.createModel({ version: 'v-old' });
    await store.updateModel('v-old', { status: 'trained' });
    // The worker's clock is 8 days ahead: the model (created now) is 8 days old for it.
    worker = makeWorker({ minIntervalDays: 7, now: () => Date.now() + 8 * DAY });
    worker.lead();
    const r = await store.enqueueRetrain({ source: 'cron' });
    expect(await ended(r.id)).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-1' });
  });

  it('a model that failed or is still training does not count as the last training', async () => {
    await store.createModel({ version: 'v-failed' });
    await store.updateModel('v-failed', { status: 'failed' });
    await store.createModel({ version: 'v-training' });
    worker = makeWorker({ minIntervalDays: 7 });
    worker.lead();
    const r = await store.enqueueRetrain({ source: 'cron' });
    expect((await ended(r.id)).status).toBe('DONE');
  });

  it('ends the request FAILED with the training error', async () => {
    trainer.fail = 'DATASET_EMPTY: no stored candles to train on';
    worker = makeWorker();
    worker.lead();
    const r = await store.enqueueRetrain({ source: 'api', force: true });
    expect(await ended(r.id)).toMatchObject({ status: 'FAILED', modelVersion: null, error: 'DATASET_EMPTY: no stored candles to train on' });
  });

  it('picks up a row an operator inserted directly in ml_retrain_requests', async () => {
    worker = makeWorker();
    worker.lead();
    // What a Supabase dashboard insert looks like: only the defaults (source 'operator', PENDING).
    const { rows } = await store.client.query<{ id: string }>('INSERT INTO public.ml_retrain_requests DEFAULT VALUES RETURNING id');
    const done = await ended(rows[0]!.id);
    expect(done).toMatchObject({ source: 'operator', status: 'DONE', modelVersion: 'v-fake-1' });
  });

  it('serves every request pending when a training starts with that one training', async () => {
    let open!: () => void;
    trainer.gate = new Promise((r) => (open = r));
    const a = await store.enqueueRetrain({ source: 'cli', force: true });
    const b = await store.enqueueRetrain({ source: 'api', force: false });
    worker = makeWorker();
    worker.lead();
    await vi.waitFor(() => expect(trainer.runs).toHaveLength(1), { timeout: 10_000, interval: 20 });
    // Filed while the training runs: it needs a training that starts after it.
    const c = await store.enqueueRetrain({ source: 'cli', force: true });
    open();
    const [da, db, dc] = [await ended(a.id), await ended(b.id), await ended(c.id)];
    expect(da).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-1' });
    expect(db).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-1' });
    expect(dc).toMatchObject({ status: 'DONE', modelVersion: 'v-fake-2' });
    expect(trainer.runs).toHaveLength(2);
  });

  it('on taking the leadership, fails a request a dead leader left RUNNING and files it again once', async () => {
    // A dead leader claimed both: one original, one that was already a retry.
    const original = await store.enqueueRetrain({ source: 'cli', force: true, reason: 'nightly' });
    expect((await store.claimRetrain('dead-host:7'))?.id).toBe(original.id);
    const retry = await store.enqueueRetrain({ source: 'cli', force: true, reason: `retry of ${original.id}: earlier` });
    expect((await store.claimRetrain('dead-host:7'))?.id).toBe(retry.id);

    worker = makeWorker();
    worker.lead();
    const failed = await ended(original.id);
    expect(failed.status).toBe('FAILED');
    expect(failed.error).toContain('dead-host:7');
    const again = /filed again as request ([0-9a-f-]{36})/.exec(failed.error ?? '')?.[1];
    expect(again).toBeDefined();
    expect(await ended(again!)).toMatchObject({ status: 'DONE', source: 'cli', force: true, reason: `retry of ${original.id}: nightly` });

    const gaveUp = await ended(retry.id);
    expect(gaveUp.status).toBe('FAILED');
    expect(gaveUp.error).toContain('not filed again');
    // One retry filed (for the original), one training for it.
    expect((await store.listRetrains(10)).length).toBe(3);
    expect(trainer.runs).toHaveLength(1);
  });

  it('finished() resolves with the final request; stop() is idempotent and ends the loop', async () => {
    worker = makeWorker();
    const r = await store.enqueueRetrain({ source: 'flag', force: true });
    const finished = worker.finished(r.id);
    worker.lead();
    expect(await finished).toMatchObject({ id: r.id, status: 'DONE' });
    const s = worker.stop();
    expect(worker.stop()).toBe(s);
    await s;
    const later = await store.enqueueRetrain({ source: 'cli', force: true });
    worker.lead(); // refused after stop
    await new Promise((res) => setTimeout(res, 200));
    expect((await store.getRetrain(later.id))?.status).toBe('PENDING');
  });
});
