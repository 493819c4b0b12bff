import type { Bar, StreamingIndicator } from './indicator.ts';
import { RollingWindow } from './window.ts';

/**
 * Population standard deviation of the last `period` log returns ln(close / previous close),
 * as a plain fraction (not annualised, not in percent). Two-pass variance over the window.
 * Not a TA-Lib function. Lookback = period (period returns need period + 1 closes).
 */
export class Volatility implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private prevClose = NaN;
  private readonly returns: RollingWindow;
  value: number | null = null;

  constructor(readonly period = 20) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`volatility period must be an integer >= 2, got ${period}`);
    this.name = `VOLATILITY(${period})`;
    this.lookback = period;
    this.returns = new RollingWindow(period);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const prev = this.prevClose;
    this.prevClose = bar.close;
    if (prev !== prev) return null;
    this.returns.push(Math.log(bar.close / prev));
    if (!this.returns.full) return null;
    const mean = this.returns.sum() / this.period;
    this.value = Math.sqrt(this.returns.varianceAround(mean));
    return this.value;
  }

  reset(): void {
    this.prevClose = NaN;
    this.returns.reset();
    this.value = null;
  }
}
