/**
 * k-way merge of time-ordered candle series into ticks: a binary heap over the head of each series,
 * so merging k files of n candles costs O(n log k) and never concatenates and re-sorts everything.
 */
import type { Candle } from '../domain/candle.ts';
import { timeframeMs } from '../domain/timeframe.ts';

export interface Tick {
  closeTime: number;
  /** Ordered by symbol, then timeframe. */
  candles: Candle[];
}

interface Head {
  series: readonly Candle[];
  pos: number;
  closeTime: number;
  candle: Candle;
}

function before(a: Head, b: Head): boolean {
  if (a.closeTime !== b.closeTime) return a.closeTime < b.closeTime;
  if (a.candle.symbol !== b.candle.symbol) return a.candle.symbol < b.candle.symbol;
  return a.candle.timeframe < b.candle.timeframe;
}

class HeadHeap {
  private readonly items: Head[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): Head | undefined {
    return this.items[0];
  }

  push(h: Head): void {
    const a = this.items;
    a.push(h);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(a[i]!, a[p]!)) break;
      [a[i], a[p]] = [a[p]!, a[i]!];
      i = p;
    }
  }

  pop(): Head | undefined {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0 && last) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && before(a[l]!, a[m]!)) m = l;
        if (r < a.length && before(a[r]!, a[m]!)) m = r;
        if (m === i) break;
        [a[i], a[m]] = [a[m]!, a[i]!];
        i = m;
      }
    }
    return top;
  }
}

function headAt(series: readonly Candle[], pos: number): Head | undefined {
  const candle = series[pos];
  return candle ? { series, pos, candle, closeTime: candle.openTime + timeframeMs(candle.timeframe) } : undefined;
}

/**
 * Yields one tick per close instant across all series, in time order. Each input series must be
 * ordered by open time (readReplayFile guarantees it).
 */
export function* mergeTicks(seriesList: readonly (readonly Candle[])[]): Generator<Tick> {
  const heap = new HeadHeap();
  for (const s of seriesList) {
    const h = headAt(s, 0);
    if (h) heap.push(h);
  }
  while (heap.size > 0) {
    const closeTime = heap.peek()!.closeTime;
    const candles: Candle[] = [];
    while (heap.size > 0 && heap.peek()!.closeTime === closeTime) {
      const h = heap.pop()!;
      candles.push(h.candle);
      const next = headAt(h.series, h.pos + 1);
      if (next) heap.push(next);
    }
    yield { closeTime, candles };
  }
}
