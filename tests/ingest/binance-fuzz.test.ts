/**
 * Fuzzing the Binance feed with thousands of malformed frames between real ticks (broken JSON,
 * NaN, negative and zero prices, high < low, future and misaligned times, huge numbers, wrong
 * types, unknown symbols, stale repeats). The source stays up, the sink receives exactly the ground
 * truth, and each malformed frame is counted once under the reason validate.ts's rule order gives.
 */
import fc from 'fast-check';
import { afterEach, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { BinanceSource } from '../../src/ingest/binance/source.ts';
import type { RejectReason } from '../../src/ingest/validate.ts';
import { FakeExchange } from '../helpers/fake-exchange.ts';
import { Received, WAIT, fastOptions, groundTruth } from './binance-helpers.ts';
import { rejectedCounts, rejectedSince } from './metrics-helpers.ts';

const SYMS = ['LTC/BTC', 'XLM/BTC'];
const TF = 300_000;
const TICKS = 40;
const FRAMES_PER_TICK = 80;

/** A fuzzed frame and the reason it must be rejected with (null: ignored without a rejection). */
interface Fuzz {
  frame: string | Buffer;
  reason: RejectReason | null;
}

type Ctx = { ex: FakeExchange; truth: Record<string, Candle[]>; last: number /* index of the last closed candle */ };
type Kline = Record<string, unknown>;

function mutated(ctx: Ctx, symbol: string, index: number, mutate: (k: Kline, frame: Record<string, unknown>) => void, closed = true): string {
  const frame = ctx.ex.klineFrame(symbol.replace('/', ''), ctx.truth[symbol]![index]!, closed);
  mutate((frame.data as { k: Kline }).k, frame);
  return JSON.stringify(frame);
}

const priceField = fc.constantFrom('o', 'h', 'l', 'c');
const anyField = fc.constantFrom('o', 'h', 'l', 'c', 'v');
const sym = fc.constantFrom(...SYMS);

function fuzzArb(ctx: Ctx): fc.Arbitrary<Fuzz> {
  const L = ctx.truth[SYMS[0]!]![ctx.last]!.openTime;
  const k = (symbol: string, f: (k: Kline, frame: Record<string, unknown>) => void, reason: RejectReason | null, index = ctx.last, closed = true) => ({
    frame: mutated(ctx, symbol, index, f, closed),
    reason,
  });
  return fc.oneof(
    // broken JSON and JSON that is not a kline frame
    fc.constantFrom('', '{', '{"stream":', 'nul', '[1,2', '{"data": {"k": }}', '\u0000\u0001', '{"stream":"ltcbtc@kline_5m","data":').map((frame) => ({ frame, reason: 'bad_shape' as const })),
    fc.string({ maxLength: 40 }).map((s) => ({ frame: `{${s}`, reason: 'bad_shape' as const })),
    fc.jsonValue({ maxDepth: 3 }).filter((v) => !(typeof v === 'object' && v !== null && 'id' in v)).map((v) => ({ frame: JSON.stringify(v), reason: 'bad_shape' as const })),
    fc.uint8Array({ minLength: 1, maxLength: 30 }).map((b) => ({ frame: Buffer.from(b), reason: 'bad_shape' as const })),
    // wrong types and shapes inside a kline frame
    fc.tuple(sym, anyField, fc.constantFrom<unknown>(null, {}, [], true, '', 'NaN', '0x10', '1,5', ' 1')).map(([s, f, v]) => k(s, (kl) => (kl[f] = v), 'bad_shape')),
    fc.tuple(sym, fc.constantFrom<[string, unknown]>(['t', '1515560100000'], ['t', -1], ['t', 1.5], ['t', 1e20], ['x', 'true'], ['T', null], ['s', 42], ['i', 5])).map(([s, [f, v]]) =>
      k(s, (kl) => (kl[f] = v), 'bad_shape'),
    ),
    sym.map((s) => k(s, (_kl, frame) => delete (frame.data as Kline).k, 'bad_shape')),
    sym.map((s) => k(s, (_kl, frame) => ((frame.data as Kline).e = 'trade'), 'bad_shape')),
    sym.map((s) => k(s, (kl) => (kl.T = (kl.T as number) + 1), 'bad_shape')),
    // values that break a candle rule
    fc.tuple(sym, anyField, fc.constantFrom('1e400', '-1e400')).map(([s, f, v]) => k(s, (kl) => (kl[f] = v), 'not_finite')),
    fc.tuple(sym, priceField, fc.oneof(fc.constant('0'), fc.double({ min: -1e6, max: -1e-9, noNaN: true }).map(String))).map(([s, f, v]) =>
      k(s, (kl) => (kl[f] = v), 'non_positive_price'),
    ),
    fc.tuple(sym, fc.double({ min: -1e9, max: -1e-9, noNaN: true })).map(([s, v]) => k(s, (kl) => (kl.v = String(v)), 'negative_volume')),
    sym.map((s) => k(s, (kl) => (kl.h = String(Number(kl.l) / 2)), 'high_below_body')),
    sym.map((s) => k(s, (kl) => (kl.l = String(Number(kl.h) * 2)), 'low_above_body')),
    fc.tuple(sym, fc.constantFrom<[string, string]>(['h', '1e300'], ['o', '1e300'], ['c', '5e12'], ['v', '1e30'])).map(([s, [f, v]]) => k(s, (kl) => (kl[f] = v), 'out_of_range')),
    fc.tuple(sym, fc.integer({ min: 1, max: 1_000_000 })).map(([s, n]) =>
      k(s, (kl) => ((kl.t = L + n * TF), (kl.T = L + (n + 1) * TF - 1)), 'future_time'),
    ),
    fc.tuple(sym, fc.integer({ min: 1, max: TF - 1 })).map(([s, d]) => k(s, (kl) => ((kl.t = L - TF + d), (kl.T = L + d - 1)), 'misaligned_time')),
    fc.tuple(sym, fc.stringMatching(/^[A-Z]{3,10}$/)).map(([s, name]) => k(s, (kl) => (kl.s = `${name}Q`), 'unknown_symbol')),
    sym.map((s) => k(s, (kl) => (kl.i = '1m'), 'wrong_timeframe')),
    // repeats of candles already delivered: the last 32 are recognised as duplicates, older ones are late
    fc.tuple(sym, fc.integer({ min: 0, max: ctx.last })).map(([s, j]) => k(s, () => undefined, ctx.last - j < 32 ? 'duplicate' : 'out_of_order', j)),
    // harmless: updates of the open candle and answers to nothing we asked
    sym.map((s) => k(s, () => undefined, null, ctx.last, false)),
    fc.constant({ frame: '{"result":null,"id":987654}', reason: null }),
  );
}

const total = (counts: Partial<Record<string, number>>) => Object.values(counts).reduce((a: number, b) => a + (b ?? 0), 0);

let stop: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const f of stop.reverse()) await f();
  stop = [];
});

it('survives thousands of malformed frames: nothing bad is delivered and every rejection is counted', async () => {
  const truth = groundTruth(TICKS, SYMS);
  const ex = await FakeExchange.start({ series: truth, timeframe: '5m' });
  const src = new BinanceSource(fastOptions(ex, { symbols: SYMS, heartbeatMs: 10_000 }));
  stop.push(() => ex.stop(), () => src.stop());
  const got = new Received();
  await src.start(got.sink);
  await expect.poll(() => ex.liveConnections, WAIT).toBe(1);

  const before = await rejectedCounts();
  const expected: Record<string, number> = {};
  let sent = 0;
  const connections = ex.connectionsTotal;
  for (let i = 0; i < TICKS; i++) {
    ex.tick();
    await got.upTo(ex.openTime(i), SYMS);
    const frames = fc.sample(fuzzArb({ ex, truth, last: i }), { numRuns: FRAMES_PER_TICK, seed: 1000 + i });
    for (const f of frames) {
      ex.sendRaw(f.frame);
      if (f.reason) expected[f.reason] = (expected[f.reason] ?? 0) + 1;
      sent++;
    }
    // Judged against this tick's clock: the next tick must not move time under frames still queued.
    await expect
      .poll(async () => total(await rejectedSince(before)), WAIT)
      .toBe(total(expected));
  }

  expect(sent).toBe(TICKS * FRAMES_PER_TICK);
  expect(await rejectedSince(before)).toEqual(expected);
  for (const s of SYMS) expect(got.bySymbol.get(s)).toEqual(truth[s]);
  expect(src.status).toBe('streaming');
  expect(ex.connectionsTotal).toBe(connections); // no reconnect was needed
});
