/**
 * The oanda: feed against a fake v20 on loopback (tests/helpers/fake-oanda.ts): through a forex
 * weekend, 429s and 5xx answers, a candle missing from one answer, a dropped and a stalled pricing
 * stream, the delivered series equals the ground truth, with no gap, no duplicate, no unfinished
 * candle, no gap counted for the weekend and no backfill storm while the market is shut.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { candleGaps } from '../../src/ingest/metrics.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { createOandaSource } from '../../src/ingest/oanda/source.ts';
import { OandaError } from '../../src/ingest/oanda/client.ts';
import { createLogger } from '../../src/log.ts';
import { FakeOanda } from '../helpers/fake-oanda.ts';

const TF = 300_000;
const log = createLogger({ level: 'silent' });
// The forex weekend of 16–18 January 2026, written out by hand (Friday 17:00 to Sunday 17:00 EST).
const WEEKEND_FROM = Date.parse('2026-01-16T22:00:00Z');
const WEEKEND_TO = Date.parse('2026-01-18T22:00:00Z');
const START = Date.parse('2026-01-16T12:00:00Z');
const END = Date.parse('2026-01-19T02:00:00Z');

/**
 * Real Binance 5m prices (data/sample, see its README), scaled to forex levels and laid on the
 * open times of a forex week: the values are facts, the times are the test's.
 */
function truth(file: string, scale: number): Candle[] {
  const rows = JSON.parse(readFileSync(new URL(`../../data/sample/${file}`, import.meta.url), 'utf8')) as number[][];
  const out: Candle[] = [];
  let i = 0;
  for (let t = START - 200 * TF; t < END; t += TF) {
    if (t >= WEEKEND_FROM && t < WEEKEND_TO) continue;
    const [, o, h, l, c, v] = rows[i++]!;
    const r = (x: number) => Number((x * scale).toFixed(5));
    out.push({ symbol: '', timeframe: '5m', openTime: t, open: r(o!), high: r(h!), low: r(l!), close: r(c!), volume: Math.round(v!) });
  }
  return out;
}

async function gapsCounted(): Promise<number> {
  const m = await candleGaps.get();
  return m.values.filter((v) => v.labels.source === 'oanda').reduce((a, v) => a + v.value, 0);
}

let fake: FakeOanda | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('oanda feed', () => {
  it('delivers the ground truth through a weekend and faults, with no gap counted', async () => {
    const series = {
      'EUR/USD': truth('LTC_BTC-5m.json', 65).map((c) => ({ ...c, symbol: 'EUR/USD' })),
      'GBP/USD': truth('DASH_BTC-5m.json', 17).map((c) => ({ ...c, symbol: 'GBP/USD' })),
    };
    fake = await FakeOanda.start({ series, timeframe: '5m', token: 'tok-1', accountId: '101-004-1-001', start: START + 60_000 });
    const f = fake;
    const source = createOandaSource({
      environment: 'practice', token: 'tok-1', accountId: '101-004-1-001', symbols: ['EUR/USD', 'GBP/USD'], timeframe: '5m',
      restBase: f.base, streamBase: f.base, clock: f.clock, log, warmupCandles: 100, settleMs: 1_000,
      backoff: { steps: [5, 10, 20], jitter: 0 }, heartbeatTimeoutMs: 1_500,
    });
    const got: Candle[] = [];
    const early: Candle[] = [];
    await source.start(async (b: CandleBatch) => {
      for (const c of b.candles) {
        if (c.openTime + TF > f.clock.now()) early.push(c);
        got.push(c);
      }
    });
    const gapsBefore = await gapsCounted();
    await vi.waitFor(() => expect(f.feedWaiting).toBe(true), { timeout: 10_000 });
    expect(source.status).toBe('streaming');

    let weekendRequests = 0;
    for (let t = START + 60_000, step = 0; t + TF < END; t += TF, step++) {
      if (step === 10) f.failNext(2, 429, '1');
      if (step === 20) f.failNext(3, 503);
      if (step === 30) f.hide('EUR_USD', Math.floor(t / TF) * TF, 2); // closing next: missing alone, then missing before its successor
      if (step === 40) f.dropStreams();
      const before = f.candleRequests;
      f.advance(TF);
      expect(await f.untilFeedWaits()).toBe(true);
      if (t >= WEEKEND_FROM && t < WEEKEND_TO) weekendRequests += f.candleRequests - before;
    }

    // A stalled stream (no heartbeat, no price) is a dead connection: reconnecting, then streaming again.
    f.stallStreams(true);
    await vi.waitFor(() => expect(source.status).toBe('reconnecting'), { timeout: 10_000 });
    f.stallStreams(false);
    f.dropStreams();
    await vi.waitFor(() => expect(source.status).toBe('streaming'), { timeout: 10_000 });
    await source.stop();

    expect(early).toEqual([]);
    for (const symbol of ['EUR/USD', 'GBP/USD'] as const) {
      const mine = got.filter((c) => c.symbol === symbol);
      const want = series[symbol].filter((c) => c.openTime >= mine[0]!.openTime && c.openTime + TF <= f.clock.now());
      expect(mine.length).toBeGreaterThan(100);
      expect(mine).toEqual(want); // every candle, in order, none twice, none missing, values as the venue closed them
    }
    expect(await gapsCounted()).toBe(gapsBefore); // the weekend is no gap
    const weekendSteps = (WEEKEND_TO - WEEKEND_FROM) / TF;
    expect(weekendRequests).toBeLessThanOrEqual(2 * weekendSteps); // one request a series a close: no backfill storm
    expect(f.streamConnections).toBeGreaterThanOrEqual(3); // reconnected after the drop and the stall
  }, 120_000);

  it('treats a holiday (heartbeats, no tradeable price) as a shut market, not a gap', async () => {
    const base = truth('LTC_BTC-5m.json', 65).filter((c) => c.openTime < WEEKEND_FROM);
    const holidayFrom = Date.parse('2026-01-16T14:00:00Z');
    const holidayTo = Date.parse('2026-01-16T16:00:00Z');
    const series = { 'EUR/USD': base.filter((c) => c.openTime < holidayFrom || c.openTime >= holidayTo).map((c) => ({ ...c, symbol: 'EUR/USD' })) };
    fake = await FakeOanda.start({ series, timeframe: '5m', token: 't', accountId: 'a', start: START + 60_000 });
    const f = fake;
    const source = createOandaSource({
      environment: 'practice', token: 't', accountId: 'a', symbols: ['EUR/USD'], timeframe: '5m', restBase: f.base, streamBase: f.base,
      clock: f.clock, log, warmupCandles: 10, settleMs: 1_000, backoff: { steps: [5], jitter: 0 },
    });
    const got: Candle[] = [];
    await source.start((b) => void got.push(...b.candles));
    await vi.waitFor(() => expect(source.status).toBe('streaming'), { timeout: 10_000 });
    const gapsBefore = await gapsCounted();
    for (let t = START + 60_000; t + TF < Date.parse('2026-01-16T18:00:00Z'); t += TF) {
      f.marketShut = t >= holidayFrom - TF && t < holidayTo;
      f.advance(TF);
      expect(await f.untilFeedWaits()).toBe(true);
    }
    await source.stop();
    expect(got.some((c) => c.openTime >= holidayTo)).toBe(true);
    expect(await gapsCounted()).toBe(gapsBefore);
  }, 60_000);

  it('fails with OANDA\'s own message on a bad token, and names what the account lacks', async () => {
    fake = await FakeOanda.start({ series: { 'EUR/USD': [] }, timeframe: '5m', token: 'right', accountId: 'a', start: START });
    const source = createOandaSource({
      environment: 'practice', token: 'wrong', accountId: 'a', symbols: ['EUR/USD'], timeframe: '5m', restBase: fake.base, streamBase: fake.base,
      clock: fake.clock, log,
    });
    await source.start(() => undefined);
    await expect(source.finished).rejects.toThrow(/401.*Insufficient authorization/);
    expect(source.error).toBeInstanceOf(OandaError);
    expect(() => createOandaSource({ environment: 'practice', token: undefined, accountId: 'a', symbols: ['EUR/USD'], timeframe: '5m', log })).toThrow(/OANDA_TOKEN/);
    expect(() => createOandaSource({ environment: 'practice', token: 't', accountId: 'a', symbols: ['EUR/USD'], timeframe: '3m', log })).toThrow(/M1|1m, 5m/);
  });
});
