import type { Bar, StreamingIndicator } from './indicator.ts';
import { PreviousClose } from './previous-close.ts';

/**
 * Percent change of the close from the previous candle: 100 · (close / previous close − 1), which is
 * TA-Lib's `ROC(1)` formula ((close / prev) − 1) · 100 (the reference fixtures include it).
 * Lookback 1.
 */
export class PriceChange implements StreamingIndicator<number> {
  readonly name = 'PRICE_CHANGE_PCT';
  readonly lookback = 1;
  private readonly previous = new PreviousClose();
  value: number | null = null;

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const ratio = this.previous.ratio(bar.close);
    if (ratio !== ratio) return null;
    this.value = 100 * (ratio - 1);
    return this.value;
  }

  reset(): void {
    this.previous.reset();
    this.value = null;
  }
}
