import type { Bar, StreamingIndicator } from './indicator.ts';
import { PreviousClose } from './previous-close.ts';
import { RunningMoments } from './running.ts';

/**
 * Population standard deviation of the last `period` log returns ln(close / previous close),
 * as a plain fraction (not annualised, not in percent). Running shifted moments (running.ts), exact
 * two-pass variance whenever the running one could be off by 1e-12 relative.
 * Not a TA-Lib function. Lookback = period (period returns need period + 1 closes).
 */
export class Volatility implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private readonly previous = new PreviousClose();
  private readonly returns: RunningMoments;
  value: number | null = null;

  constructor(readonly period = 20) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`volatility period must be an integer >= 2, got ${period}`);
    this.name = `VOLATILITY(${period})`;
    this.lookback = period;
    this.returns = new RunningMoments(period);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const ratio = this.previous.ratio(bar.close);
    if (ratio !== ratio) return null;
    this.returns.push(Math.log(ratio));
    if (!this.returns.full) return null;
    this.value = Math.sqrt(this.returns.variance());
    return this.value;
  }

  reset(): void {
    this.previous.reset();
    this.returns.reset();
    this.value = null;
  }
}
