/** Small pieces the feeds rely on: backoff, the bounded queue, series ordering and the tick merge. */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { DEFAULT_BACKOFF, backoffDelay } from '../../src/domain/timing.ts';
import { mergeTicks } from '../../src/ingest/merge.ts';
import { BoundedQueue } from '../../src/ingest/queue.ts';
import { SeriesTracker } from '../../src/ingest/series.ts';

const T0 = Date.UTC(2018, 0, 10);
const c = (symbol: string, k: number, timeframe: Candle['timeframe'] = '5m'): Candle => ({
  symbol,
  timeframe,
  openTime: T0 + k * (timeframe === '5m' ? 300_000 : 60_000),
  open: 1,
  high: 1,
  low: 1,
  close: 1,
  volume: 1,
});

describe('backoffDelay', () => {
  it('steps 1 s, 2 s, 5 s, 10 s and stays capped, within the jitter band (STYLE.md, realtime-js)', () => {
    for (const r of [0, 0.5, 0.999]) {
      const delays = [0, 1, 2, 3, 4, 50].map((n) => backoffDelay(n, { ...DEFAULT_BACKOFF, random: () => r }));
      const steps = [1_000, 2_000, 5_000, 10_000, 10_000, 10_000];
      delays.forEach((d, i) => {
        expect(d).toBeGreaterThanOrEqual(steps[i]! * 0.8);
        expect(d).toBeLessThanOrEqual(steps[i]! * 1.2);
      });
    }
    expect(backoffDelay(2, { ...DEFAULT_BACKOFF, random: () => 0.5 })).toBe(5_000);
  });
});

describe('BoundedQueue', () => {
  it('refuses items past capacity, but never control items, and hands them out in order', async () => {
    const q = new BoundedQueue<number>(2);
    expect([q.push(1), q.push(2), q.push(3)]).toEqual([true, true, false]);
    q.pushControl(4);
    const signal = new AbortController().signal;
    expect([await q.take(signal), await q.take(signal), await q.take(signal)]).toEqual([1, 2, 4]);
    expect(await q.take(signal, 1)).toBeUndefined();
    const waiting = q.take(signal);
    q.push(5);
    expect(await waiting).toBe(5);
    const ac = new AbortController();
    const aborted = q.take(ac.signal);
    ac.abort();
    expect(await aborted).toBeUndefined();
  });
});

describe('SeriesTracker', () => {
  it('tells next, gap, duplicate and late candles apart', () => {
    const t = new SeriesTracker();
    expect(t.check(c('A/B', 0))).toEqual({ kind: 'first' });
    t.commit(c('A/B', 0));
    expect(t.check(c('A/B', 1))).toEqual({ kind: 'next' });
    t.commit(c('A/B', 1));
    expect(t.check(c('A/B', 4))).toEqual({ kind: 'gap', missing: 2, from: c('A/B', 2).openTime, to: c('A/B', 3).openTime });
    expect(t.check(c('A/B', 1))).toEqual({ kind: 'duplicate' });
    expect(t.check(c('A/B', 0))).toEqual({ kind: 'duplicate' });
    for (let k = 2; k < 40; k++) t.commit(c('A/B', k));
    expect(t.check(c('A/B', 30))).toEqual({ kind: 'duplicate' });
    expect(t.check(c('A/B', 3))).toEqual({ kind: 'out_of_order', last: c('A/B', 39).openTime });
    expect(t.check(c('A/B', 3, '1m'))).toEqual({ kind: 'first' }); // another series
  });
});

describe('mergeTicks', () => {
  it('groups candles closing at the same instant, across timeframes, in time order', () => {
    // A 5m candle opened at T0 closes with the 1m candle opened at T0 + 4m.
    const ticks = [...mergeTicks([[c('B/X', 0), c('B/X', 1)], [c('A/X', 0), c('A/X', 2)], [0, 1, 2, 3, 4].map((k) => c('C/X', k, '1m'))])];
    expect(ticks.map((t) => [(t.closeTime - T0) / 60_000, t.candles.map((x) => x.symbol).join()])).toEqual([
      [1, 'C/X'],
      [2, 'C/X'],
      [3, 'C/X'],
      [4, 'C/X'],
      [5, 'A/X,B/X,C/X'],
      [10, 'B/X'],
      [15, 'A/X'],
    ]);
  });
});
