/**
 * CandleHistory on the real embedded store (PGlite through openStore): batched writes, flush on
 * stop, retry after a failed write, the bounded buffer's drop-oldest policy, warm-up reads and
 * retention. Candles are the first rows of data/sample/LTC_BTC-5m.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { CandleHistory, type CandleHistoryStore } from '../../src/ingest/history.ts';
import { historyDropped } from '../../src/ingest/metrics.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/store.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';
import { sampleRows } from './sample.ts';

const log = silentLogger();
const LTC: Candle[] = sampleRows('LTC_BTC-5m.json')
  .slice(0, 1500)
  .map(([openTime, open, high, low, close, volume]) => ({ symbol: 'LTC/BTC', timeframe: '5m', openTime, open, high, low, close, volume }));

let dir: string;
let store: Store;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sb-history-'));
  store = await openStore(testConfig({ SIGNALBASE_DATA_DIR: dir }), log, { migrate: true });
});
afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await store.pruneCandles(Number.MAX_SAFE_INTEGER);
});

const stored = () => store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m' });

/** The real store, failing its next `n` writes. */
function flaky(n: { fail: number }): CandleHistoryStore {
  return {
    upsertCandles: (c) => (n.fail-- > 0 ? Promise.reject(new Error('store unavailable')) : store.upsertCandles(c)),
    readCandles: (q) => store.readCandles(q),
    pruneCandles: (t) => store.pruneCandles(t),
  };
}

describe('CandleHistory', () => {
  it('writes appended candles in batches and reads the newest back oldest first for warm-up', async () => {
    const h = new CandleHistory(store, { log, batchSize: 500, flushIntervalMs: 60_000 });
    h.start();
    for (let i = 0; i < LTC.length; i += 100) h.append(LTC.slice(i, i + 100));
    await h.flush();
    expect(h.pending).toBe(0);
    expect(await stored()).toEqual(LTC);
    expect(await h.warmup('LTC/BTC', '5m', 200)).toEqual(LTC.slice(-200));
    expect(await h.lastOpenTimes(['LTC/BTC', 'XLM/BTC'], '5m')).toEqual(new Map([['LTC/BTC', LTC.at(-1)!.openTime]]));
    // Appending the same candles again changes nothing (idempotent upsert).
    h.append(LTC.slice(0, 10));
    await h.stop();
    expect(await stored()).toHaveLength(LTC.length);
  });

  it('flushes what is buffered on stop', async () => {
    const h = new CandleHistory(store, { log, batchSize: 10_000, flushIntervalMs: 60_000 });
    h.start();
    h.append(LTC.slice(0, 42));
    expect(await stored()).toEqual([]);
    await Promise.all([h.stop(), h.stop()]);
    expect(await stored()).toEqual(LTC.slice(0, 42));
  });

  it('keeps candles whose write failed and stores them at the next flush', async () => {
    const failures = { fail: 2 };
    const h = new CandleHistory(flaky(failures), { log, batchSize: 10_000, flushIntervalMs: 60_000 });
    h.append(LTC.slice(0, 30));
    await expect(h.flush()).rejects.toThrow('store unavailable');
    h.append(LTC.slice(30, 60));
    await expect(h.flush()).rejects.toThrow('store unavailable');
    expect(h.pending).toBe(60);
    await h.flush();
    expect(await stored()).toEqual(LTC.slice(0, 60));
    await h.stop();
  });

  it('drops the oldest buffered candles past the bound while the store fails, and counts them', async () => {
    const droppedBefore = (await historyDropped.get()).values[0]?.value ?? 0;
    const failures = { fail: 1_000 };
    const h = new CandleHistory(flaky(failures), { log, batchSize: 10_000, flushIntervalMs: 60_000, maxBuffered: 100 });
    h.append(LTC.slice(0, 250));
    expect(h.pending).toBe(100);
    expect(((await historyDropped.get()).values[0]?.value ?? 0) - droppedBefore).toBe(150);
    failures.fail = 0;
    await h.stop();
    expect(await stored()).toEqual(LTC.slice(150, 250));
  });

  it('prunes candles older than the retention before the newest candle seen', async () => {
    const h = new CandleHistory(store, { log, retentionMs: 10 * 300_000 });
    h.append(LTC.slice(0, 50));
    await h.flush();
    expect(await h.prune()).toBe(39);
    expect(await stored()).toEqual(LTC.slice(39, 50));
    await h.stop();
  });
});
