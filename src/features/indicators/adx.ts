import { taIsZero, type Bar, type StreamingIndicator } from './indicator.ts';
import { trueRange } from './true-range.ts';

/**
 * ADX(period), Wilder: TA-Lib `ADX`, operation for operation.
 *
 * Candle 0 only primes the previous high/low/close. Candles 1..period-1 sum +DM, -DM and TR.
 * From candle `period` on, each sum is smoothed as `s - s/period + x`; +DI and -DI are
 * 100 * DM / TR and DX = 100 * |-DI - +DI| / (-DI + +DI). The first ADX (candle 2*period - 1) is the
 * mean of the `period` DX values of candles period..2*period-1; afterwards
 * `adx = (adx * (period - 1) + dx) / period`. When TR or -DI + +DI is zero in TA-Lib's sense
 * (|.| < 1e-14) that candle's DX is skipped (the first mean still divides by `period`, and later ADX
 * keeps its previous value), as TA-Lib does. Lookback = 2 * period - 1.
 */
export class Adx implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private bars = 0;
  private prevHigh = 0;
  private prevLow = 0;
  private prevClose = 0;
  private plusDM = 0;
  private minusDM = 0;
  private tr = 0;
  private sumDX = 0;
  private adx = 0;
  value: number | null = null;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`ADX period must be an integer >= 2, got ${period}`);
    this.name = `ADX(${period})`;
    this.lookback = 2 * period - 1;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const n = this.bars++;
    const p = this.period;
    if (n === 0) {
      this.prevHigh = bar.high;
      this.prevLow = bar.low;
      this.prevClose = bar.close;
      return null;
    }
    const diffP = bar.high - this.prevHigh; // plus delta
    const diffM = this.prevLow - bar.low; // minus delta
    const tr = trueRange(bar.high, bar.low, this.prevClose);
    this.prevHigh = bar.high;
    this.prevLow = bar.low;
    this.prevClose = bar.close;

    if (n < p) {
      // Initial sums over candles 1..period-1.
      if (diffM > 0 && diffP < diffM) this.minusDM += diffM;
      else if (diffP > 0 && diffP > diffM) this.plusDM += diffP;
      this.tr += tr;
      return null;
    }

    this.minusDM -= this.minusDM / p;
    this.plusDM -= this.plusDM / p;
    if (diffM > 0 && diffP < diffM) this.minusDM += diffM;
    else if (diffP > 0 && diffP > diffM) this.plusDM += diffP;
    this.tr = this.tr - this.tr / p + tr;

    let dx = NaN;
    if (!taIsZero(this.tr)) {
      const minusDI = 100 * (this.minusDM / this.tr);
      const plusDI = 100 * (this.plusDM / this.tr);
      const sumDI = minusDI + plusDI;
      if (!taIsZero(sumDI)) dx = 100 * (Math.abs(minusDI - plusDI) / sumDI);
    }

    if (n < 2 * p - 1) {
      if (dx === dx) this.sumDX += dx;
      return null;
    }
    if (n === 2 * p - 1) {
      if (dx === dx) this.sumDX += dx;
      this.adx = this.sumDX / p;
    } else if (dx === dx) {
      this.adx = (this.adx * (p - 1) + dx) / p;
    }
    this.value = this.adx;
    return this.value;
  }

  reset(): void {
    this.bars = 0;
    this.prevHigh = 0;
    this.prevLow = 0;
    this.prevClose = 0;
    this.plusDM = 0;
    this.minusDM = 0;
    this.tr = 0;
    this.sumDX = 0;
    this.adx = 0;
    this.value = null;
  }
}
