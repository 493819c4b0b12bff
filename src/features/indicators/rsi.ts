import { taIsZero, type Bar, type StreamingIndicator } from './indicator.ts';

/**
 * RSI(period), Wilder: TA-Lib `RSI` with the default (non-Metastock) compatibility.
 * The first value uses the plain means of the first `period` gains and losses; afterwards each mean
 * is smoothed as `(mean * (period - 1) + x) / period`. RSI = 100 * gain / (gain + loss), and 0 when
 * gain + loss is zero in TA-Lib's sense (|.| < 1e-14). Lookback = period.
 */
export class Rsi implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private started = false;
  private prevClose = NaN;
  private diffs = 0;
  private gain = 0;
  private loss = 0;
  value: number | null = null;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`RSI period must be an integer >= 2, got ${period}`);
    this.name = `RSI(${period})`;
    this.lookback = period;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const close = bar.close;
    if (!this.started) {
      this.started = true;
      this.prevClose = close;
      return null;
    }
    const diff = close - this.prevClose;
    this.prevClose = close;
    const p = this.period;
    if (this.diffs < p) {
      if (diff < 0) this.loss -= diff;
      else this.gain += diff;
      this.diffs++;
      if (this.diffs < p) return null;
      this.loss /= p;
      this.gain /= p;
    } else {
      this.loss *= p - 1;
      this.gain *= p - 1;
      if (diff < 0) this.loss -= diff;
      else this.gain += diff;
      this.loss /= p;
      this.gain /= p;
    }
    const total = this.gain + this.loss;
    this.value = taIsZero(total) ? 0 : 100 * (this.gain / total);
    return this.value;
  }

  reset(): void {
    this.started = false;
    this.prevClose = NaN;
    this.diffs = 0;
    this.gain = 0;
    this.loss = 0;
    this.value = null;
  }
}
