import type { Bar, StreamingIndicator } from './indicator.ts';

/**
 * Percent change of the close from the previous candle: 100 · (close / previous close − 1), which is
 * TA-Lib's `ROC(1)` formula ((close / prev) − 1) · 100 (the reference fixtures include it).
 * Lookback 1. Across a replay gap "previous" is the previous candle that exists.
 */
export class PriceChange implements StreamingIndicator<number> {
  readonly name = 'PRICE_CHANGE_PCT';
  readonly lookback = 1;
  private prevClose = NaN;
  value: number | null = null;

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const prev = this.prevClose;
    this.prevClose = bar.close;
    if (prev !== prev) return null;
    this.value = 100 * (bar.close / prev - 1);
    return this.value;
  }

  reset(): void {
    this.prevClose = NaN;
    this.value = null;
  }
}
