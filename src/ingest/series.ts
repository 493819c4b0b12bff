/**
 * Per-series ordering: what a candle is relative to the last one delivered for its
 * (symbol, timeframe). Sources check before delivering and commit after, so the pipeline sees each
 * series strictly increasing in time, with no duplicate, and knows where the gaps are.
 */
import type { Candle } from '../domain/candle.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';

export type SeriesVerdict =
  | { kind: 'first' }
  | { kind: 'next' }
  /** `missing` candles between the last delivered one and this one: open times from..to inclusive. */
  | { kind: 'gap'; missing: number; from: number; to: number }
  /** The same open time was already delivered. */
  | { kind: 'duplicate' }
  /** Older than the last delivered candle and not one we delivered: too late to use. */
  | { kind: 'out_of_order'; last: number };

/** How many recent open times per series are remembered to tell a duplicate from a late candle. */
const RECENT = 32;

interface SeriesState {
  last: number;
  recent: number[];
  next: number; // ring position
}

export function seriesKey(symbol: string, timeframe: Timeframe): string {
  return `${symbol}|${timeframe}`;
}

export class SeriesTracker {
  private readonly series = new Map<string, SeriesState>();

  /** The open time of the last delivered candle of the series, if any. */
  last(symbol: string, timeframe: Timeframe): number | undefined {
    return this.series.get(seriesKey(symbol, timeframe))?.last;
  }

  check(c: Candle): SeriesVerdict {
    const s = this.series.get(seriesKey(c.symbol, c.timeframe));
    if (!s) return { kind: 'first' };
    if (c.openTime === s.last || (c.openTime < s.last && s.recent.includes(c.openTime))) return { kind: 'duplicate' };
    if (c.openTime < s.last) return { kind: 'out_of_order', last: s.last };
    const tf = timeframeMs(c.timeframe);
    const missing = Math.round((c.openTime - s.last) / tf) - 1;
    if (missing <= 0) return { kind: 'next' };
    return { kind: 'gap', missing, from: s.last + tf, to: c.openTime - tf };
  }

  /** Records `c` as delivered. Callers commit only candles whose verdict was first, next or gap. */
  commit(c: Candle): void {
    this.seed(c.symbol, c.timeframe, c.openTime);
  }

  /** Sets the last delivered open time, e.g. from stored history after a restart. */
  seed(symbol: string, timeframe: Timeframe, openTime: number): void {
    const key = seriesKey(symbol, timeframe);
    const s = this.series.get(key);
    if (!s) {
      this.series.set(key, { last: openTime, recent: [openTime], next: 1 % RECENT });
      return;
    }
    s.last = openTime;
    s.recent[s.next] = openTime;
    s.next = (s.next + 1) % RECENT;
  }
}
