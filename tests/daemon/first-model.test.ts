/**
 * The demo's first model is trained once: a restart with no active model files it again only when
 * no model has finished training according to the registry (one refused by the gate stays refused;
 * the rules serve), however many other retrain requests were filed since.
 */
import { describe, expect, it } from 'vitest';
import { fileFirstModel } from '../../src/daemon/training.ts';
import { createLogger } from '../../src/log.ts';
import { memoryStore } from '../helpers/pg.ts';

const log = createLogger({ level: 'silent' });

describe('the first model', () => {
  it('is filed when none was trained, and not again once its training finished', async () => {
    const store = await memoryStore();
    try {
      const first = await fileFirstModel(store, log);
      expect(first).not.toBeNull();
      expect(await fileFirstModel(store, log)).toBeNull(); // still pending: the open request trains it
      const claimed = await store.claimRetrain('test-worker');
      expect(claimed?.id).toBe(first!.id);
      await store.createModel({ version: 'v-refused' });
      await store.updateModel('v-refused', { status: 'trained', statusReason: 'gate: refused' });
      await store.finishRetrain(first!.id, { status: 'DONE', modelVersion: 'v-refused' });
      expect(await fileFirstModel(store, log)).toBeNull(); // trained and refused: not trained again
      expect((await store.listRetrains(10)).length).toBe(1);
    } finally {
      await store.close();
    }
  });

  it('is not filed again after a refused model even when more than 50 requests came after it', async () => {
    const store = await memoryStore();
    try {
      const first = (await fileFirstModel(store, log))!;
      await store.claimRetrain('test-worker');
      await store.createModel({ version: 'v-refused' });
      await store.updateModel('v-refused', { status: 'trained', statusReason: 'gate: refused' });
      await store.finishRetrain(first.id, { status: 'DONE', modelVersion: 'v-refused' });
      // 60 later requests, each served and skipped (cron retrains under the minimum interval, say).
      for (let i = 0; i < 60; i++) {
        const r = await store.enqueueRetrain({ source: 'cron', force: false, reason: `cron ${i}` });
        expect((await store.claimRetrain('test-worker'))?.id).toBe(r.id);
        await store.finishRetrain(r.id, { status: 'SKIPPED', error: 'minimum interval' });
      }
      expect((await store.listRetrains(50)).some((r) => r.id === first.id)).toBe(false);
      expect(await fileFirstModel(store, log)).toBeNull();
      expect((await store.listRetrains(100)).filter((r) => r.status === 'PENDING')).toHaveLength(0);
    } finally {
      await store.close();
    }
  });

  it('is filed again when the only earlier training failed or never finished', async () => {
    const store = await memoryStore();
    try {
      await store.createModel({ version: 'v-crashed' }); // left 'training' by a crash
      await store.createModel({ version: 'v-failed' });
      await store.updateModel('v-failed', { status: 'failed', statusReason: 'TRAINING_FAILED: out of memory' });
      const r = await fileFirstModel(store, log);
      expect(r).not.toBeNull();
      expect(r!.status).toBe('PENDING');
    } finally {
      await store.close();
    }
  });
});
