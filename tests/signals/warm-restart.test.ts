/**
 * "A restart with stored history produces the next signal-ready feature vector on the first new
 * candle": candles written through the outbox into the real embedded store, a fresh engine warmed
 * up from what the store gives back, then one new candle. Compared with an engine that never stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import { Outbox } from '../../src/store/outbox/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore } from '../helpers/pg.ts';

const log = createLogger({ level: 'silent' });
const barrier = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const clock = { now: () => Date.UTC(2026, 0, 1) };
const WARMUP = 1000;

let store: SqlStore;
let dataDir: string;
let candles: Candle[];

beforeAll(async () => {
  store = await memoryStore();
  dataDir = mkdtempSync(join(tmpdir(), 'sb-warm-restart-'));
  candles = (await readReplayFile(new URL('../../data/sample/LTC_BTC-5m.json', import.meta.url).pathname, { log })).slice(0, 1600);
});
afterAll(async () => {
  await store?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const engine = () => new SignalEngine({ barrier, weights: uniformWeights(), clock, log, windowSize: 60 });
const tick = (c: Candle) => [{ closeTime: c.openTime + 300_000, candles: [c], backfill: false }];

describe('restart with stored history', () => {
  it('signals on the first new candle with the values an uninterrupted run gives', async () => {
    const history = new Outbox({ store, dataDir, log });
    history.start();
    const [before, next] = [candles.slice(0, -1), candles.at(-1)!];
    history.upsertCandles(before);
    await history.drained(30_000);
    await history.stop(30_000);

    // The process "restarts": a fresh engine knows nothing until it reads the store.
    const restarted = engine();
    const stored = await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', latest: true, limit: WARMUP });
    expect(stored).toHaveLength(WARMUP);
    expect(stored.at(-1)).toEqual(before.at(-1));
    expect(WARMUP).toBeGreaterThan(IndicatorSet.WARMUP_CANDLES + 60);
    restarted.warmup(stored);
    const [out] = await restarted.process(tick(next));
    expect(out!.signals).toHaveLength(1);
    expect(restarted.series('LTC/BTC')!.isReady).toBe(true);

    const uninterrupted = engine();
    uninterrupted.warmup(before);
    const [ref] = await uninterrupted.process(tick(next));
    const a = out!.signals[0]!;
    const b = ref!.signals[0]!;
    expect(a.id).toBe(b.id);
    expect(a.predictedDirection).toBe(b.predictedDirection);
    // EMA and Wilder smoothing forget their seed exponentially: after 1,000 candles the warm-up start
    // no longer shows at double precision's relative resolution.
    for (const [k, v] of Object.entries(b.technicalIndicators)) {
      const w = a.technicalIndicators[k as keyof typeof a.technicalIndicators];
      expect(Math.abs(w! - v!), k).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(v!)));
    }
    await Promise.all([restarted.stop(), uninterrupted.stop()]);
  });
});
