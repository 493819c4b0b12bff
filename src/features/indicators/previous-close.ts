/**
 * The close before this one, for the close-to-close indicators (ROC(1) and the log-return
 * volatility). Across a replay gap "previous" is the previous candle that exists.
 */
export class PreviousClose {
  private prev = NaN;

  /** close / previous close, then remembers `close`; NaN for the first candle after a reset. */
  ratio(close: number): number {
    const prev = this.prev;
    this.prev = close;
    return close / prev;
  }

  reset(): void {
    this.prev = NaN;
  }
}
