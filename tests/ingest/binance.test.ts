/**
 * The Binance feed against a fake exchange on loopback (tests/helpers/fake-exchange.ts): one
 * combined connection for four symbols of real 5m candles (data/sample, the first 150, which have no
 * missing step), through dropped connections, a stalled socket, a refused subscription and failing
 * REST requests. Afterwards the candles delivered, and those stored through the outbox in the
 * embedded store (PGlite), equal the ground truth for every symbol: no gap, no duplicate, no
 * unfinished candle.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BinanceSource } from '../../src/ingest/binance/source.ts';
import { feedFramesDropped, feedReconnects } from '../../src/ingest/metrics.ts';
import type { SourceStatus } from '../../src/ingest/source.ts';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { openStore } from '../../src/store/index.ts';
import { Outbox } from '../../src/store/outbox/index.ts';
import { testConfig } from '../helpers/pg.ts';
import { Received, SYMBOLS, WAIT, fastOptions, groundTruth, log } from './binance-helpers.ts';

async function reconnectCount(cause: string): Promise<number> {
  return (await feedReconnects.get()).values.find((v) => v.labels.cause === cause)?.value ?? 0;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.reverse()) await f();
  cleanup = [];
});

describe('BinanceSource against a fake exchange', () => {
  it('delivers exactly the ground truth through drops, a stall, a refused subscription and REST failures', async () => {
    const truth = groundTruth(150);
    const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
    const dir = mkdtempSync(join(tmpdir(), 'sb-binance-'));
    const store = await openStore(testConfig({ SIGNALBASE_DATA_DIR: dir }), log, { migrate: true });
    cleanup.push(async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    });
    const history = new Outbox({ store, dataDir: dir, log });
    history.start();
    // A long linger: on a loaded machine a 20 ms linger can split a tick, which would be correct
    // behaviour but would fail the grouping assertion below. Complete ticks never wait for it.
    const src = new BinanceSource(fastOptions(ex, { lingerMs: 5_000 }));
    cleanup.push(() => ex.stop(), () => src.stop(), () => history.stop());
    const statuses = new Set<SourceStatus>();
    src.onStatus((s) => statuses.add(s));
    const got = new Received();
    const before = { stale: await reconnectCount('stale'), refused: await reconnectCount('subscribe_failed'), lost: await reconnectCount('remote_close') };

    await src.start((b) => {
      got.sink(b);
      history.upsertCandles(b.candles);
    });
    await vi.waitFor(() => expect(src.status).toBe('streaming'), WAIT);

    const faults: Record<number, () => void> = {
      20: () => ex.dropConnections(),
      45: () => (ex.refuseNextSubscriptions(1), ex.dropConnections()),
      70: () => ex.stallConnections(),
      95: () => (ex.failNextRestRequests(3), ex.dropConnections()),
      120: () => ex.dropConnections(),
    };
    while (ex.cursor < ex.length) {
      const fault = faults[ex.cursor];
      if (fault) {
        fault();
        // Candles keep closing while the client is away; it must backfill them.
        for (let k = 0; k < 4; k++) ex.tick();
      } else {
        ex.tick();
      }
      await got.upTo(ex.openTime(ex.cursor - 1));
    }

    for (const s of SYMBOLS) expect(got.bySymbol.get(s)).toEqual(truth[s]);
    expect(statuses).toEqual(new Set(['connecting', 'streaming', 'reconnecting', 'backfilling']));
    expect(got.batches.some((b) => b.backfill)).toBe(true);
    // Live ticks carry all four symbols in one batch.
    expect(got.batches.filter((b) => !b.backfill).every((b) => b.candles.length === SYMBOLS.length)).toBe(true);
    expect((await reconnectCount('stale')) - before.stale).toBeGreaterThanOrEqual(1);
    expect((await reconnectCount('subscribe_failed')) - before.refused).toBeGreaterThanOrEqual(1);
    expect((await reconnectCount('remote_close')) - before.lost).toBeGreaterThanOrEqual(4);
    expect(ex.connectionsTotal).toBeGreaterThanOrEqual(7);

    await src.stop();
    await history.drained(30_000);
    await history.stop(30_000);
    expect(src.status).toBe('stopped');
    for (const s of SYMBOLS) expect(await store.readCandles({ symbol: s, timeframe: '5m' })).toEqual(truth[s]);
  });

  it('backfills a gap seen on a live candle before delivering it', async () => {
    const truth = groundTruth(40, ['LTC/BTC', 'XLM/BTC']);
    const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
    const src = new BinanceSource(fastOptions(ex, { symbols: ['LTC/BTC', 'XLM/BTC'] }));
    cleanup.push(() => ex.stop(), () => src.stop());
    const got = new Received();
    await src.start(got.sink);
    await vi.waitFor(() => expect(ex.liveConnections).toBe(1), WAIT);
    for (let i = 0; i < 10; i++) ex.tick();
    // The connection never breaks, but the frames of candles 10..14 are lost: only REST has them.
    await got.upTo(ex.openTime(9), ['LTC/BTC', 'XLM/BTC']);
    const restBefore = ex.restRequests;
    const connectionsBefore = ex.connectionsTotal;
    for (let i = 0; i < 5; i++) ex.tick({ send: false });
    while (ex.cursor < ex.length) {
      ex.tick();
      await got.upTo(ex.openTime(ex.cursor - 1), ['LTC/BTC', 'XLM/BTC']);
    }
    expect(ex.restRequests).toBe(restBefore + 2); // one range request per symbol
    expect(ex.connectionsTotal).toBe(connectionsBefore);
    for (const s of ['LTC/BTC', 'XLM/BTC']) expect(got.bySymbol.get(s)).toEqual(truth[s]);
  });

  it('drops frames at the queue bound while the sink is slow, then backfills what was dropped', async () => {
    const symbols = ['LTC/BTC', 'XLM/BTC'];
    const truth = groundTruth(30, symbols);
    const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
    const src = new BinanceSource(fastOptions(ex, { symbols, queueCapacity: 3 }));
    cleanup.push(() => ex.stop(), () => src.stop());
    const droppedBefore = (await feedFramesDropped.get()).values[0]?.value ?? 0;
    const got = new Received();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    await src.start(async (b) => {
      got.sink(b);
      await slow;
    });
    await vi.waitFor(() => expect(ex.liveConnections).toBe(1), WAIT);
    ex.tick();
    await got.upTo(ex.openTime(0), symbols); // delivered; the sink now blocks
    for (let i = 0; i < 20; i++) ex.tick();
    await vi.waitFor(async () => expect(((await feedFramesDropped.get()).values[0]?.value ?? 0) - droppedBefore).toBeGreaterThan(20), WAIT);
    release();
    while (ex.cursor < ex.length) {
      ex.tick();
      await got.upTo(ex.openTime(ex.cursor - 1), symbols);
    }
    for (const s of symbols) expect(got.bySymbol.get(s)).toEqual(truth[s]);
  });

  it('resumes after a restart from the last stored candle', async () => {
    const truth = groundTruth(60, ['LTC/BTC']);
    const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
    for (let i = 0; i < 30; i++) ex.tick();
    // A previous run stored up to candle 19; the daemon was down for 10 candles.
    const src = new BinanceSource(fastOptions(ex, { symbols: ['LTC/BTC'], resume: new Map([['LTC/BTC', ex.openTime(19)]]) }));
    cleanup.push(() => ex.stop(), () => src.stop());
    const got = new Received();
    await src.start(got.sink);
    await got.upTo(ex.openTime(29), ['LTC/BTC']);
    ex.tick();
    await got.upTo(ex.openTime(30), ['LTC/BTC']);
    expect(got.bySymbol.get('LTC/BTC')).toEqual(truth['LTC/BTC']!.slice(20, 31));
  });

  it('fetches the latest warmupCandles of a symbol with no history at the first connection', async () => {
    const truth = groundTruth(60, ['LTC/BTC']);
    const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
    for (let i = 0; i < 30; i++) ex.tick();
    const src = new BinanceSource(fastOptions(ex, { symbols: ['LTC/BTC'], warmupCandles: 12 }));
    cleanup.push(() => ex.stop(), () => src.stop());
    const got = new Received();
    await src.start(got.sink);
    await got.upTo(ex.openTime(29), ['LTC/BTC']);
    expect(got.bySymbol.get('LTC/BTC')).toEqual(truth['LTC/BTC']!.slice(18, 30));
    expect(got.batches.every((b) => b.backfill)).toBe(true);
  });

  it('stops promptly while reconnecting, and stop is idempotent', async () => {
    const ex = await FakeExchange.start({ series: groundTruth(5, ['LTC/BTC']), timeframe: '5m' });
    const src = new BinanceSource(fastOptions(ex, { symbols: ['LTC/BTC'], backoff: { steps: [60_000], jitter: 0 } }));
    cleanup.push(() => ex.stop());
    await src.start(() => undefined);
    await vi.waitFor(() => expect(src.status).toBe('streaming'), WAIT);
    ex.dropConnections();
    await vi.waitFor(() => expect(src.status).toBe('reconnecting'), WAIT);
    await Promise.all([src.stop(), src.stop()]);
    await src.finished;
    expect(src.status).toBe('stopped');
  });
});
