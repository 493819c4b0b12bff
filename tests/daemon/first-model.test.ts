/**
 * The demo's first model is trained once: a restart with no active model files it again only when
 * no first-model training has finished (one refused by the gate stays refused; the rules serve).
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
      await store.finishRetrain(first!.id, { status: 'DONE', modelVersion: 'v-refused' });
      expect(await fileFirstModel(store, log)).toBeNull(); // trained and refused: not trained again
      expect((await store.listRetrains(10)).length).toBe(1);
    } finally {
      await store.close();
    }
  });
});
