import type { Bar, StreamingIndicator } from './indicator.ts';

const DAY_MS = 86_400_000;

/**
 * Session VWAP of the typical price (high + low + close) / 3, the session resetting at 00:00 UTC
 * (by the candle's open time): Σ tp·volume / Σ volume over the session's candles so far.
 * While the session has traded no volume yet the VWAP is the candle's typical price (the limit of
 * a volume-weighted mean with equal weights), so it is never undefined. Not a TA-Lib function;
 * lookback 0: a first candle mid-session starts a partial session.
 */
export class Vwap implements StreamingIndicator<number> {
  readonly name = 'VWAP(session UTC)';
  readonly lookback = 0;
  private session = NaN;
  private pv = 0;
  private vol = 0;
  value: number | null = null;

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const session = Math.floor(bar.openTime / DAY_MS);
    if (session !== this.session) {
      this.session = session;
      this.pv = 0;
      this.vol = 0;
    }
    const tp = (bar.high + bar.low + bar.close) / 3;
    this.pv += tp * bar.volume;
    this.vol += bar.volume;
    this.value = this.vol > 0 ? this.pv / this.vol : tp;
    return this.value;
  }

  reset(): void {
    this.session = NaN;
    this.pv = 0;
    this.vol = 0;
    this.value = null;
  }
}
