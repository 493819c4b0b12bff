/**
 * doctor's feed line for the venue feeds, against their loopback fakes: ok when the venue answers
 * and offers every symbol and the timeframe; FAIL naming what is missing (an unlisted symbol with
 * what the venue offers, a bad token with OANDA's own message, missing credentials).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkFeed } from '../../src/cli/doctor-feed.ts';
import { FakeCcxtBinance } from '../helpers/fake-ccxt-binance.ts';
import { FakeOanda } from '../helpers/fake-oanda.ts';

let oanda: FakeOanda;
let binance: FakeCcxtBinance;
beforeAll(async () => {
  oanda = await FakeOanda.start({ series: { 'EUR/USD': [], 'GBP/USD': [] }, timeframe: '5m', token: 'v20-token-abcdef', accountId: '101-1', start: Date.now() });
  // BTC/USDT has the candle forming (its stream sends it); ETH/USDT has none (a quiet market).
  const open = Math.floor(Date.now() / 300_000) * 300_000;
  const forming = { symbol: 'BTC/USDT', timeframe: '5m' as const, openTime: open, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3 };
  binance = await FakeCcxtBinance.start({ series: { 'BTC/USDT': [forming], 'ETH/USDT': [] }, timeframe: '5m', start: open + 1_000 });
});
afterAll(async () => {
  await oanda.close();
  await binance.close();
});

const creds = { OANDA_TOKEN: 'v20-token-abcdef', OANDA_ACCOUNT: '101-1' };

describe('doctor feed check on venue feeds', () => {
  it('oanda: ok with a good token and offered instruments; the failures say why', async () => {
    const feed = `oanda:practice,rest=${oanda.base},stream=${oanda.base}`;
    const ok = await checkFeed({ feed, symbols: ['EUR/USD'], timeframe: '5m', feedCredentials: creds });
    expect(ok).toEqual({ ok: true, detail: 'oanda:practice reachable, 1 instrument(s) offered, granularity M5' });
    const missing = await checkFeed({ feed, symbols: ['EUR/USD', 'USD/XYZ'], timeframe: '5m', feedCredentials: creds });
    expect(missing.ok).toBe(false);
    expect(missing.detail).toMatch(/does not offer USD\/XYZ; it offers 2 instruments, e\.g\. EUR\/USD, GBP\/USD/);
    const badToken = await checkFeed({ feed, symbols: ['EUR/USD'], timeframe: '5m', feedCredentials: { ...creds, OANDA_TOKEN: 'v20-token-wrong!' } });
    expect(badToken).toMatchObject({ ok: false, detail: expect.stringMatching(/401.*Insufficient authorization/) });
    const noCreds = await checkFeed({ feed, symbols: ['EUR/USD'], timeframe: '5m', feedCredentials: {} });
    expect(noCreds).toMatchObject({ ok: false, detail: expect.stringMatching(/OANDA_TOKEN and OANDA_ACCOUNT/) });
  });

  it('ccxt: ok when the exchange lists the symbols and the timeframe; else names what it lists', async () => {
    const feed = `ccxt:binance,rest=${binance.base},ws=${binance.wsBase}`;
    expect(await checkFeed({ feed, symbols: ['BTC/USDT', 'ETH/USDT'], timeframe: '5m' })).toEqual({
      ok: true,
      detail: 'ccxt:binance reachable, 2 symbol(s) listed, 5m offered, websocket streaming (watchOHLCVForSymbols)',
    });
    // A quiet market (no candle of BTC/USDT on the stream) over an open websocket passes, saying so.
    const quiet = await checkFeed({ feed, symbols: ['ETH/USDT'], timeframe: '5m' }, 1_000);
    expect(quiet).toMatchObject({ ok: true, detail: expect.stringMatching(/websocket open \(watchOHLCVForSymbols\), no ETH\/USDT update within 1000 ms/) });
    // REST answers but the websocket does not: the check fails, naming the exchange.
    const silent = await checkFeed({ feed: `ccxt:binance,rest=${binance.base},ws=ws://127.0.0.1:9`, symbols: ['BTC/USDT'], timeframe: '5m' }, 3_000);
    expect(silent).toMatchObject({ ok: false, detail: expect.stringMatching(/^ccxt:binance: /) });
    const bad = await checkFeed({ feed, symbols: ['BTC/USDC'], timeframe: '5m' });
    expect(bad).toMatchObject({ ok: false, detail: expect.stringMatching(/does not list BTC\/USDC.*e\.g\. BTC\/USDT/) });
    const down = await checkFeed({ feed: 'ccxt:binance,rest=http://127.0.0.1:9', symbols: ['BTC/USDT'], timeframe: '5m' }, 2_000);
    expect(down.ok).toBe(false);
  });
});
