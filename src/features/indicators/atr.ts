import type { Bar, StreamingIndicator } from './indicator.ts';
import { trueRange } from './true-range.ts';

/**
 * ATR(period), Wilder: TA-Lib `ATR`. True range starts on the second candle; the first ATR is the
 * mean of the first `period` true ranges (summed oldest first), then
 * `atr = (atr * (period - 1) + tr) / period`. Lookback = period.
 */
export class Atr implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private started = false;
  private prevClose = NaN;
  private ranges = 0;
  private atr = 0;
  value: number | null = null;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`ATR period must be an integer >= 2, got ${period}`);
    this.name = `ATR(${period})`;
    this.lookback = period;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    if (!this.started) {
      this.started = true;
      this.prevClose = bar.close;
      return null;
    }
    const tr = trueRange(bar.high, bar.low, this.prevClose);
    this.prevClose = bar.close;
    const p = this.period;
    if (this.ranges < p) {
      this.atr += tr;
      this.ranges++;
      if (this.ranges < p) return null;
      this.atr /= p;
    } else {
      this.atr *= p - 1;
      this.atr += tr;
      this.atr /= p;
    }
    this.value = this.atr;
    return this.value;
  }

  reset(): void {
    this.started = false;
    this.prevClose = NaN;
    this.ranges = 0;
    this.atr = 0;
    this.value = null;
  }
}
