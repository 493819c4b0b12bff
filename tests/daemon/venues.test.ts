/**
 * The daemon on the ccxt: and oanda: feeds, each against its loopback fake on virtual time, through
 * the same engine, store and stream as every other feed: it warms up from the venue, signs every
 * candle that closes once, stores each signal with its market session (forex centres for EUR/USD,
 * `24h` for a crypto pair), and resolves outcomes into training samples.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import type { Candle } from '../../src/domain/candle.ts';
import { toSignal, type Signal } from '../../src/domain/signal.ts';
import { createLogger } from '../../src/log.ts';
import { FakeCcxtBinance } from '../helpers/fake-ccxt-binance.ts';
import { FakeOanda } from '../helpers/fake-oanda.ts';
import type { VirtualVenue } from '../helpers/virtual-venue.ts';
import { dataDirFrom, migratedTemplate, openStoreAt, removeDir, storedState } from './helpers.ts';

const TF = 300_000;
const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

function candles(file: string, symbol: string, start: number, scale = 1): Candle[] {
  const rows = JSON.parse(readFileSync(new URL(`../../data/sample/${file}`, import.meta.url), 'utf8')) as number[][];
  // Tuesday to Wednesday: an open forex market throughout, so the times need no weekend hole.
  return rows.slice(0, 330).map(([, o, h, l, c, v], i) => {
    const r = (x: number) => Number((x * scale).toFixed(scale === 1 ? 8 : 5));
    return { symbol, timeframe: '5m', openTime: start + i * TF, open: r(o!), high: r(h!), low: r(l!), close: r(c!), volume: Math.round(v!) };
  });
}

/** The daemon on `feed` until every symbol's candle `lastOpen` is signed; returns its data dir and GET /v1/signals. */
async function run(venue: VirtualVenue, env: Record<string, string>, feed: string, symbols: string[], lastOpen: number): Promise<{ data: string; api: Signal[] }> {
  const data = dataDirFrom(await migratedTemplate());
  dirs.push(data);
  const keyStore = await openStoreAt(data);
  const { key } = await keyStore.createApiKey({ name: 'venues', type: 'stream' });
  await keyStore.close();
  let api: Signal[] = [];
  const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm', ...env });
  const d = new Daemon(config, log, { feed, symbols, timeframe: '5m', port: 0, host: '127.0.0.1', clock: venue.clock });
  await d.start();
  try {
    expect(await venue.untilFeedWaits(60_000)).toBe(true);
    for (let i = 0; i < 40; i++) {
      venue.advance(TF);
      expect(await venue.untilFeedWaits(60_000)).toBe(true);
    }
    await vi.waitFor(() => {
      for (const s of symbols) expect(d.engine!.lastOpenTime(s, '5m') ?? 0).toBe(lastOpen);
    }, { timeout: 60_000, interval: 20 });
    await vi.waitFor(async () => {
      const res = await fetch(`http://127.0.0.1:${d.port}/v1/signals?limit=500`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);
      api = ((await res.json()) as { signals: Signal[] }).signals;
      for (const s of symbols) expect(api.some((x) => x.symbol === s && Date.parse(x.candle_time) === lastOpen)).toBe(true);
    }, { timeout: 60_000, interval: 200 });
  } finally {
    await d.stop();
  }
  return { data, api };
}

describe('the daemon on venue feeds', () => {
  it('oanda: signs every closed EUR/USD and GBP/USD candle once, with forex sessions', async () => {
    const start = Date.parse('2026-01-13T00:00:00Z');
    const series = { 'EUR/USD': candles('LTC_BTC-5m.json', 'EUR/USD', start, 65), 'GBP/USD': candles('DASH_BTC-5m.json', 'GBP/USD', start, 17) };
    const fake = await FakeOanda.start({ series, timeframe: '5m', token: 'v20-token-abcdef', accountId: '101-004-1-001', start: start + 250 * TF + 60_000 });
    try {
      const { data, api } = await run(fake, { OANDA_TOKEN: 'v20-token-abcdef', OANDA_ACCOUNT: '101-004-1-001' }, `oanda:practice,rest=${fake.base},stream=${fake.base}`, ['EUR/USD', 'GBP/USD'], start + 289 * TF);
      const { predictions } = await storedState(data);
      for (const symbol of ['EUR/USD', 'GBP/USD']) {
        const mine = predictions.filter((p) => p.symbol === symbol);
        const times = mine.map((p) => p.candleTime);
        expect(new Set(times).size).toBe(times.length);
        expect(times.slice(1).every((t, i) => t - times[i]! === TF)).toBe(true);
        expect(times.at(-1)).toBe(start + 289 * TF);
        const sessions = new Set(mine.map((p) => p.marketConditions?.session));
        expect([...sessions].every((s) => typeof s === 'string' && /^(sydney|tokyo|london|new_york)(_|$)/.test(s))).toBe(true);
        const at = (iso: string) => mine.find((p) => p.candleTime === Date.parse(iso))?.marketConditions?.session;
        expect(at('2026-01-13T21:40:00Z')).toBe('sydney_new_york'); // 08:40 AEDT, 16:40 EST
        expect(at('2026-01-13T22:30:00Z')).toBe('sydney'); // New York closed at 17:00 EST
        // The signal's own market_session, stored in its column and served by /v1/signals.
        const served = (iso: string) => api.find((x) => x.symbol === symbol && x.candle_time === new Date(iso).toISOString())?.market_session;
        expect(served('2026-01-13T21:40:00Z')).toBe('sydney_new_york');
        expect(served('2026-01-13T22:30:00Z')).toBe('sydney');
        expect(mine.every((p) => toSignal(p).market_session === p.marketConditions?.session)).toBe(true);
      }
      const store = await openStoreAt(data);
      try {
        expect(await store.countTrainingSamples()).toBeGreaterThan(0);
      } finally {
        await store.close();
      }
    } finally {
      await fake.close();
    }
  }, 300_000);

  it('ccxt:binance: signs every closed candle once, with the 24h session', async () => {
    const start = Date.UTC(2018, 0, 10);
    const series = { 'LTC/BTC': candles('LTC_BTC-5m.json', 'LTC/BTC', start), 'XLM/BTC': candles('XLM_BTC-5m.json', 'XLM/BTC', start) };
    const fake = await FakeCcxtBinance.start({ series, timeframe: '5m', start: start + 250 * TF + 60_000 });
    try {
      const { data, api } = await run(fake, {}, `ccxt:binance,rest=${fake.base},ws=${fake.wsBase}`, ['LTC/BTC', 'XLM/BTC'], start + 289 * TF);
      const { predictions } = await storedState(data);
      for (const symbol of ['LTC/BTC', 'XLM/BTC']) {
        const times = predictions.filter((p) => p.symbol === symbol).map((p) => p.candleTime);
        expect(new Set(times).size).toBe(times.length);
        expect(times.slice(1).every((t, i) => t - times[i]! === TF)).toBe(true);
        expect(times.at(-1)).toBe(start + 289 * TF);
      }
      expect(new Set(predictions.map((p) => p.marketConditions?.session))).toEqual(new Set(['24h']));
      expect(api.length).toBeGreaterThan(0);
      expect(new Set(api.map((x) => x.market_session))).toEqual(new Set(['24h']));
    } finally {
      await fake.close();
    }
  }, 300_000);
});
