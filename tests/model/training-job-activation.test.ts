/**
 * What the training job does with the gate's verdict, tested for both verdicts every run (the
 * end-to-end tests accept whichever status a run happens to reach). The verdict itself is the
 * gate's business (tests/model/gate tests; the quality work is changing it), so here it is fixed:
 * promotionGate is replaced by one that answers `verdict`, and the job must
 *   - pass: record the model `active`, make it THE active model, with the gate's reason;
 *   - refuse: record it `trained`, leave the active model as it was;
 *   - refuse + activate (--activate): `active` anyway, the override named in the reason.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { initBackend } from '../../src/model/backend.ts';
import type { GateDecision } from '../../src/model/gate.ts';
import { runTrainingJob } from '../../src/model/training-job.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore, silentLogger, testConfig } from '../helpers/pg.ts';
import { SMALL_TRAINING } from './synthetic.ts';

const verdict: GateDecision = { pass: true, reason: '' };
vi.mock('../../src/model/gate.ts', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../../src/model/gate.ts')>()),
  promotionGate: () => ({ ...verdict }),
}));

const config = testConfig({ TFJS_BACKEND: 'wasm' });
const log = silentLogger();
let store: SqlStore;

beforeAll(async () => {
  await initBackend('wasm');
  store = await memoryStore();
  for (const s of syntheticSeries({ seed: 5, symbols: 2, timeframe: '5m', vol: 0.003, candles: 600, start: Date.UTC(2024, 0, 1) })) await store.upsertCandles(s);
});
afterAll(async () => {
  await store?.close();
});

const train = (seed: number, activate = false) => runTrainingJob({ store, config, log }, { ...SMALL_TRAINING, hyper: { ...SMALL_TRAINING.hyper, maxEpochs: 1 }, seed, activate, updateWeights: false });

describe('the training job acts on the gate verdict', () => {
  it('a pass activates the model; a refusal keeps the active one; --activate overrides a refusal', async () => {
    Object.assign(verdict, { pass: true, reason: 'fixed verdict: pass' });
    const first = await train(1);
    expect(first.status).toBe('active');
    expect((await store.getModel(first.version))!.status).toBe('active');
    expect((await store.getModel(first.version))!.statusReason).toBe('fixed verdict: pass');
    expect((await store.activeModel())!.version).toBe(first.version);

    Object.assign(verdict, { pass: false, reason: 'fixed verdict: refuse' });
    const refused = await train(2);
    expect(refused.status).toBe('trained');
    expect((await store.getModel(refused.version))!.status).toBe('trained');
    expect((await store.activeModel())!.version).toBe(first.version);

    const forced = await train(3, true);
    expect(forced.status).toBe('active');
    expect(forced.overridden).toBe(true);
    expect((await store.getModel(forced.version))!.statusReason).toMatch(/--activate.*fixed verdict: refuse/);
    expect((await store.activeModel())!.version).toBe(forced.version);
    expect((await store.getModel(first.version))!.status).not.toBe('active');
  }, 180_000);
});
