/**
 * The ccxt: feed over a websocket: ccxt.pro's real `binance` class, its REST and websocket URLs
 * pointed at the fake Binance on loopback (tests/helpers/fake-ccxt-binance.ts), candles through
 * watchOHLCVForSymbols. Through dropped and stalled connections, candles the stream never carries
 * and 429s on the REST backfill, the delivered series equals the ground truth (real candles,
 * data/sample) with no gap and no duplicate, the candle forming is never delivered, and the stream
 * (not REST) delivers the candles of the quiet steps.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { candleGaps, candlesDelivered } from '../../src/ingest/metrics.ts';
import { createCcxtSource } from '../../src/ingest/ccxt/source.ts';
import type { CandleSource } from '../../src/ingest/source.ts';
import { createLogger } from '../../src/log.ts';
import { FakeCcxtBinance } from '../helpers/fake-ccxt-binance.ts';
import { expectGroundTruth, pairTruth, record, TF } from './ccxt-helpers.ts';

const log = createLogger({ level: (process.env.TEST_LOG ?? 'silent') as 'silent' });


let fake: FakeCcxtBinance | undefined;
let source: CandleSource | undefined;
afterEach(async () => {
  await source?.stop();
  await fake?.close();
  source = fake = undefined;
});

async function delivered(source: string): Promise<number> {
  return (await candlesDelivered.get()).values.filter((v) => v.labels.source === source).reduce((a, v) => a + v.value, 0);
}

/** Gaps of the ccxt feed left unfilled (a gap found and backfilled is counted `backfill`). */
async function unfilled(): Promise<number> {
  return (await candleGaps.get()).values.filter((v) => v.labels.source === 'ccxt' && v.labels.resolution === 'unfilled').reduce((a, v) => a + v.value, 0);
}

describe('ccxt feed over its websocket (binance through ccxt.pro)', () => {
  it('streams the ground truth through dropped, stalled and gappy streams and 429 backfills', async () => {
    const series = pairTruth(260);
    // One second after an open: the candle that just closed is not yet "surely closed" for a resync
    // (10 s tolerance), so in quiet steps only the stream can deliver it.
    const t0 = series['LTC/BTC'][150]!.openTime + 1_000;
    fake = await FakeCcxtBinance.start({ series, timeframe: '5m', start: t0 });
    const f = fake;
    source = await createCcxtSource({
      exchange: 'binance', symbols: ['LTC/BTC', 'XLM/BTC'], timeframe: '5m', restBase: f.base, wsBase: `${f.wsBase}`, requestTimeoutMs: 1_500,
      clock: f.clock, log, warmupCandles: 100, backoff: { steps: [5, 10], jitter: 0 }, live: { heartbeatMs: 1_500, lingerMs: 50 },
    });
    const { got, early } = await record(source, f.clock);
    const last = (symbol: string) => got.filter((c) => c.symbol === symbol).at(-1)?.openTime;
    /** Waits until both series hold every candle that closed at least `behind` candles ago. */
    const caughtUp = (behind: number) =>
      vi.waitFor(
        () => {
          const want = Math.floor(f.clock.now() / TF) * TF - (1 + behind) * TF;
          for (const s of ['LTC/BTC', 'XLM/BTC']) expect(last(s)).toBeGreaterThanOrEqual(want);
        },
        { timeout: 30_000, interval: 20 },
      );
    const gapsBefore = await unfilled();
    const streamedBefore = await delivered('ccxt');
    await caughtUp(1); // the warm-up; the newest closed candle closed before the stream began
    expect(source.status).toBe('streaming');
    const connections = f.wsConnections;
    const steps = 100;
    const faults = new Set([10, 20, 30, 40, 41, 60]);
    for (let step = 0; step < steps; step++) {
      const closing = Math.floor(f.clock.now() / TF) * TF; // the candle this step closes
      if (step === 10) f.dropStreams();
      if (step === 20) f.stallStreams();
      if (step === 30) f.skipOnStream('XLMBTC', closing);
      if (step === 40) {
        f.skipOnStream('LTCBTC', closing);
        f.failNext(3, 429, '1');
      }
      if (step === 41) f.skipOnStream('LTCBTC', closing);
      if (step === 60) {
        f.skipOnStream('XLMBTC', closing);
        f.skipOnStream('XLMBTC', closing + TF);
        f.failNext(2, 503);
      }
      const conns = f.wsConnections;
      f.advance(TF);
      if (step === 10 || step === 20) {
        // A new connection (after the drop; after the stall is found stale), subscribed before the next close.
        await vi.waitFor(() => expect(f.wsConnections).toBeGreaterThan(conns), { timeout: 30_000, interval: 20 });
        await vi.waitFor(() => expect([step, source!.status]).toEqual([step, 'streaming']), { timeout: 30_000, interval: 20 });
      }
      // The candle that closed a second ago comes from the stream, except where a fault kept it
      // off the stream: then it comes from REST at the next sweep, and the step only asks for the one before.
      await caughtUp(faults.has(step) || faults.has(step - 1) ? 2 : 0);
    }
    f.advance(15_000); // past the last close's sweep: everything closed is delivered
    await caughtUp(0);
    await source.stop();
    expect(early).toEqual([]);
    expectGroundTruth(got, series, f.clock, 190);
    expect(await unfilled()).toBe(gapsBefore);
    expect(f.failuresLeft).toBe(0); // the 429s and 503s met the backfill requests
    // Reconnected after the drop and after the stall; most candles of the run came over the stream.
    expect(f.wsConnections).toBeGreaterThanOrEqual(connections + 2);
    expect((await delivered('ccxt')) - streamedBefore).toBeGreaterThan(2 * (steps - 20));
  }, 240_000);

  it('watches symbol by symbol (watchOHLCV) where the batch form is not used, and closes each candle once', async () => {
    const series = pairTruth(200);
    const t0 = series['LTC/BTC'][150]!.openTime + 1_000;
    fake = await FakeCcxtBinance.start({ series, timeframe: '5m', start: t0 });
    const f = fake;
    source = await createCcxtSource({
      exchange: 'binance', symbols: ['LTC/BTC', 'XLM/BTC'], timeframe: '5m', restBase: f.base, wsBase: f.wsBase, perSymbol: true,
      clock: f.clock, log, warmupCandles: 20, backoff: { steps: [5, 10], jitter: 0 }, live: { heartbeatMs: 1_500, lingerMs: 50 },
    });
    const { got, early } = await record(source, f.clock);
    const streamedBefore = await delivered('ccxt');
    // Subscribed and warmed up before the first close: the candle forming then is on the stream.
    await vi.waitFor(() => {
      expect(source!.status).toBe('streaming');
      for (const s of ['LTC/BTC', 'XLM/BTC']) expect(got.filter((c) => c.symbol === s).at(-1)?.openTime).toBe(Math.floor(t0 / TF) * TF - 2 * TF);
    }, { timeout: 30_000, interval: 20 });
    for (let step = 0; step < 20; step++) {
      f.advance(TF);
      const want = Math.floor(f.clock.now() / TF) * TF - TF;
      await vi.waitFor(() => {
        for (const s of ['LTC/BTC', 'XLM/BTC']) expect([step, s, got.filter((c) => c.symbol === s).at(-1)?.openTime]).toEqual([step, s, want]);
      }, { timeout: 30_000, interval: 20 });
    }
    await source.stop();
    expect(early).toEqual([]);
    expectGroundTruth(got, series, f.clock, 35);
    expect((await delivered('ccxt')) - streamedBefore).toBeGreaterThanOrEqual(2 * 19);
  }, 120_000);
});
