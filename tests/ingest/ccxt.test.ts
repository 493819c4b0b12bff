/**
 * The ccxt: feed, with ccxt's real `binance` class pointed at a fake Binance REST API on loopback
 * (tests/helpers/fake-ccxt-binance.ts): through 429s, 5xx answers, reset and stalled connections
 * and a candle missing from answers, the delivered series equals the ground truth (real candles,
 * data/sample), with no gap, no duplicate and never the still-open candle; symbols and timeframes
 * the exchange does not offer are refused at start naming what it offers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { candleGaps } from '../../src/ingest/metrics.ts';
import { createCcxtSource } from '../../src/ingest/ccxt/source.ts';
import { createLogger } from '../../src/log.ts';
import { FakeCcxtBinance } from '../helpers/fake-ccxt-binance.ts';
import { expectGroundTruth, pairTruth, record, TF } from './ccxt-helpers.ts';

const log = createLogger({ level: 'silent' });


let fake: FakeCcxtBinance | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

async function gaps(): Promise<number> {
  return (await candleGaps.get()).values.filter((v) => v.labels.source === 'ccxt').reduce((a, v) => a + v.value, 0);
}

describe('ccxt feed (binance through ccxt)', () => {
  it('delivers the ground truth through faults, never the open candle, and no gap', async () => {
    const series = pairTruth(400);
    const t0 = series['LTC/BTC'][150]!.openTime + 60_000;
    fake = await FakeCcxtBinance.start({ series, timeframe: '5m', start: t0 });
    const f = fake;
    const source = await createCcxtSource({
      exchange: 'binance', symbols: ['LTC/BTC', 'XLM/BTC'], timeframe: '5m', restBase: f.base, websocket: false, requestTimeoutMs: 1_500,
      clock: f.clock, log, warmupCandles: 100, settleMs: 1_000, backoff: { steps: [5, 10], jitter: 0 },
    });
    const { got, early } = await record(source, f.clock);
    const gapsBefore = await gaps();
    expect(await f.untilFeedWaits()).toBe(true);
    expect(source.status).toBe('streaming');
    const end = series['LTC/BTC'][390]!.openTime;
    for (let t = t0, step = 0; t < end; t += TF, step++) {
      if (step === 10) f.failNext(2, 429, '1');
      if (step === 20) f.failNext(2, 503);
      if (step === 30) f.resetNext(2);
      if (step === 40) f.stallNext(1);
      if (step === 50) f.hide('XLMBTC', Math.floor(t / TF) * TF, 2); // missing alone, then before its successor
      f.advance(TF);
      expect(await f.untilFeedWaits()).toBe(true);
    }
    await source.stop();
    expect(early).toEqual([]);
    expectGroundTruth(got, series, f.clock, 300);
    expect(await gaps()).toBe(gapsBefore);
  }, 120_000);

  it('refuses what the exchange does not offer, naming what it does', async () => {
    fake = await FakeCcxtBinance.start({ series: { 'LTC/BTC': pairTruth(400)['LTC/BTC'] }, timeframe: '5m', start: Date.UTC(2018, 0, 11) });
    const base = { exchange: 'binance', restBase: fake.base, websocket: false, log, timeframe: '5m' as const };
    await expect(createCcxtSource({ ...base, symbols: ['LTC/BTCX'] })).rejects.toThrow(/does not list LTC\/BTCX.*LTC\/BTC/);
    await expect(createCcxtSource({ ...base, symbols: ['LTC/BTC'], timeframe: '2d' as never })).rejects.toThrow(/no 2d candles; it offers .*5m/);
    await expect(createCcxtSource({ ...base, exchange: 'binancee', symbols: ['LTC/BTC'] })).rejects.toThrow(/no exchange 'binancee'.*binance/);
  });
});
