/**
 * Candle validation properties. The rules are DESIGN.md "Feeds": finite positive prices,
 * low <= min(open, close), max(open, close) <= high, volume >= 0, open time aligned and not in the
 * future; plus the documented sanity bounds of validate.ts (MAX_PRICE, MAX_VOLUME, MIN_OPEN_TIME).
 * `oracle` below restates them independently of the implementation.
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { TIMEFRAMES, timeframeMs, type Timeframe } from '../../src/domain/timeframe.ts';
import { RejectionReporter } from '../../src/ingest/rejections.ts';
import { validateCandle, type RejectReason } from '../../src/ingest/validate.ts';
import { rejectedCounts, rejectedSince } from './metrics-helpers.ts';

// The documented bounds (src/ingest/validate.ts header, DESIGN.md), written out here rather than
// imported, so a changed bound in the source is a failing test, not a silently moved oracle.
const MAX_PRICE = 1e12;
const MAX_VOLUME = 1e18;
const MIN_OPEN_TIME = Date.UTC(2000, 0, 1);
const DEFAULT_FUTURE_TOLERANCE_MS = 10_000;

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);
const opts = { now: NOW };

const symbolArb = fc.stringMatching(/^[A-Z0-9]{1,8}\/[A-Z0-9]{1,6}$/);
const timeframeArb = fc.constantFrom(...TIMEFRAMES);
const priceArb = fc.double({ min: 1e-8, max: 1e9, noNaN: true });

/** Valid candles: the body drawn first, wicks around it, open time on a past boundary. */
const validCandleArb: fc.Arbitrary<Candle> = fc
  .record({
    symbol: symbolArb,
    timeframe: timeframeArb,
    k: fc.double({ min: 0, max: 1, noNaN: true }),
    open: priceArb,
    close: priceArb,
    lowFactor: fc.oneof(fc.constant(1), fc.double({ min: 0.5, max: 1, noNaN: true })),
    highFactor: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 2, noNaN: true })),
    volume: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
  })
  .map(({ symbol, timeframe, k, open, close, lowFactor, highFactor, volume }) => {
    const tf = timeframeMs(timeframe);
    const first = Math.ceil(MIN_OPEN_TIME / tf);
    const last = Math.floor((NOW - tf) / tf);
    const openTime = (first + Math.floor(k * (last - first))) * tf;
    return { symbol, timeframe, openTime, open, close, low: Math.min(open, close) * lowFactor, high: Math.max(open, close) * highFactor, volume };
  });

/** DESIGN.md's rules, restated without the implementation. */
function oracle(x: unknown, now: number): boolean {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const c = x as Record<string, unknown>;
  if (typeof c.symbol !== 'string' || !/^[A-Z0-9]{1,20}\/[A-Z0-9]{1,20}$/.test(c.symbol)) return false;
  if (typeof c.timeframe !== 'string' || !(TIMEFRAMES as readonly string[]).includes(c.timeframe)) return false;
  const nums = ['openTime', 'open', 'high', 'low', 'close', 'volume'].map((k) => c[k]);
  if (!nums.every((n) => typeof n === 'number' && Number.isFinite(n))) return false;
  const [openTime, open, high, low, close, volume] = nums as number[];
  const tf = timeframeMs(c.timeframe as Timeframe);
  return (
    [open, high, low, close].every((p) => p! > 0 && p! <= MAX_PRICE) &&
    volume! >= 0 &&
    volume! <= MAX_VOLUME &&
    low! <= Math.min(open!, close!) &&
    Math.max(open!, close!) <= high! &&
    Number.isSafeInteger(openTime) &&
    openTime! >= MIN_OPEN_TIME &&
    openTime! % tf === 0 &&
    openTime! + tf <= now + DEFAULT_FUTURE_TOLERANCE_MS
  );
}

type Mutation = { reason: RejectReason; apply: (c: Candle) => unknown };
const PRICE_FIELDS = ['open', 'high', 'low', 'close'] as const;

/** Each mutation breaks one rule; the expected reason is that rule (validate.ts documents the order). */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ field: fc.constantFrom(...PRICE_FIELDS, 'volume', 'openTime'), v: fc.constantFrom(Number.NaN, Infinity, -Infinity) }).map(({ field, v }) => ({
    reason: 'not_finite' as const,
    apply: (c: Candle) => ({ ...c, [field]: v }),
  })),
  fc.record({ field: fc.constantFrom(...PRICE_FIELDS), v: fc.oneof(fc.constant(0), fc.double({ min: -1e9, max: -1e-12, noNaN: true })) }).map(({ field, v }) => ({
    reason: 'non_positive_price' as const,
    apply: (c: Candle) => ({ ...c, [field]: v }),
  })),
  fc.double({ min: -1e12, max: -1e-12, noNaN: true }).map((v) => ({ reason: 'negative_volume' as const, apply: (c: Candle) => ({ ...c, volume: v }) })),
  fc.double({ min: 1e-6, max: 1, noNaN: true }).map((d) => ({
    reason: 'low_above_body' as const,
    apply: (c: Candle) => ({ ...c, low: Math.min(c.open, c.close) * (1 + d) }),
  })),
  fc.double({ min: 1e-6, max: 0.99, noNaN: true }).map((d) => ({
    reason: 'high_below_body' as const,
    apply: (c: Candle) => ({ ...c, high: Math.max(c.open, c.close) * (1 - d) }),
  })),
  fc.oneof(fc.constantFrom('high', 'volume'), fc.constant('openTimeSeconds')).map((what) => ({
    reason: 'out_of_range' as const,
    apply: (c: Candle) =>
      what === 'high' ? { ...c, high: MAX_PRICE * 10 } : what === 'volume' ? { ...c, volume: MAX_VOLUME * 10 } : { ...c, openTime: 0 },
  })),
  fc.double({ min: 0.001, max: 0.999, noNaN: true }).map((f) => ({
    reason: 'misaligned_time' as const,
    apply: (c: Candle) => ({ ...c, openTime: c.openTime + Math.max(1, Math.floor(f * timeframeMs(c.timeframe))) }),
  })),
  fc.nat(10_000).map((j) => ({
    reason: 'future_time' as const,
    apply: (c: Candle) => {
      const tf = timeframeMs(c.timeframe);
      return { ...c, openTime: (Math.ceil((NOW + DEFAULT_FUTURE_TOLERANCE_MS) / tf) + j) * tf };
    },
  })),
  fc.constantFrom<(c: Candle) => unknown>(
    (c) => ({ ...c, open: String(c.open) }),
    (c) => ({ ...c, symbol: c.symbol.toLowerCase() + 'x' }),
    (c) => ({ ...c, timeframe: '7m' }),
    (c) => ({ ...c, openTime: undefined }),
    (c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume],
    () => null,
    (c) => JSON.stringify(c),
  ).map((apply) => ({ reason: 'bad_shape' as const, apply })),
);

describe('validateCandle', () => {
  it('accepts every valid candle unchanged', () => {
    fc.assert(
      fc.property(validCandleArb, (c) => {
        const r = validateCandle(c, opts);
        expect(r).toEqual({ ok: true, candle: c });
      }),
      { numRuns: 2000 },
    );
  });

  it('rejects a candle with one rule broken, with that rule as the reason', () => {
    fc.assert(
      fc.property(validCandleArb, mutationArb, (c, m) => {
        const r = validateCandle(m.apply(c), opts);
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.reason).toBe(m.reason);
      }),
      { numRuns: 3000 },
    );
  });

  it('on arbitrary input never throws and accepts exactly what the rules allow', () => {
    const num = fc.oneof(
      fc.double(),
      fc.constantFrom(0, -1, 1, Number.NaN, Infinity, MAX_PRICE * 2),
      fc.integer({ min: 0, max: 2 ** 53 - 1 }),
      fc.string(),
      fc.constant(null),
    );
    const nearValid = fc.tuple(validCandleArb, fc.dictionary(fc.constantFrom('symbol', 'timeframe', 'openTime', 'open', 'high', 'low', 'close', 'volume'), num));
    const input = fc.oneof(
      fc.anything(),
      nearValid.map(([c, patch]) => ({ ...c, ...patch })),
      validCandleArb.map((c) => c as unknown),
    );
    let accepted = 0;
    fc.assert(
      fc.property(input, (x) => {
        const r = validateCandle(x, opts);
        expect(r.ok).toBe(oracle(x, NOW));
        if (r.ok) accepted++;
      }),
      { numRuns: 5000 },
    );
    // The property must have exercised both sides.
    expect(accepted).toBeGreaterThan(100);
  });

  it('accepts a candle closing up to 10 s after now (clock skew), refuses one closing later', () => {
    fc.assert(
      fc.property(symbolArb, timeframeArb, fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 10_001, max: 3_600_000 }), (symbol, timeframe, within, beyond) => {
        const tf = timeframeMs(timeframe);
        const openTime = Math.ceil(NOW / tf) * tf;
        const c = { symbol, timeframe, openTime, open: 2, high: 3, low: 1, close: 2, volume: 5 };
        // `within` / `beyond` ms between now and the candle's close.
        expect(validateCandle(c, { now: openTime + tf - within })).toEqual({ ok: true, candle: c });
        expect(validateCandle(c, { now: openTime + tf - beyond })).toMatchObject({ ok: false, reason: 'future_time' });
      }),
      { numRuns: 1000 },
    );
  });

  it('accepts a replayed 2018 candle: "future" is relative to the clock, not to the data', () => {
    // First row of data/sample/LTC_BTC-5m.json.
    const c = { symbol: 'LTC/BTC', timeframe: '5m', openTime: 1515560100000, open: 0.0169325, high: 0.01702482, low: 0.01690701, close: 0.01690701, volume: 1615.44770933 };
    expect(validateCandle(c, { now: Date.now() }).ok).toBe(true);
    expect(validateCandle(c, { now: 1515560100000 + 60_000 })).toMatchObject({ ok: false, reason: 'future_time' });
  });

  it('applies the feed context: unknown symbols and other timeframes', () => {
    const c = { symbol: 'LTC/BTC', timeframe: '5m', openTime: 1515560100000, open: 1, high: 1, low: 1, close: 1, volume: 1 };
    expect(validateCandle(c, { ...opts, symbols: new Set(['XLM/BTC']) })).toMatchObject({ ok: false, reason: 'unknown_symbol' });
    expect(validateCandle(c, { ...opts, timeframe: '1m' })).toMatchObject({ ok: false, reason: 'wrong_timeframe' });
    expect(validateCandle(c, { ...opts, symbols: new Set(['LTC/BTC']), timeframe: '5m' }).ok).toBe(true);
  });
});

describe('RejectionReporter', () => {
  it('counts every rejection by reason, however many are suppressed from the log', async () => {
    const reporter = new RejectionReporter(pino({ level: 'silent' }), { maxKeys: 3 });
    const before = await rejectedCounts();
    const bad = { symbol: 'LTC/BTC', timeframe: '5m', openTime: 1515560100000, open: 1, high: 0.5, low: 1, close: 1, volume: 1 };
    for (let i = 0; i < 500; i++) {
      const r = validateCandle({ ...bad, symbol: `S${i % 10}/BTC` }, opts);
      if (!r.ok) reporter.report(r);
    }
    reporter.count('bad_shape', undefined, 'not JSON', '{');
    reporter.flush();
    expect(await rejectedSince(before)).toEqual({ high_below_body: 500, bad_shape: 1 });
  });
});
