import type { Bar, StreamingIndicator } from './indicator.ts';
import { RollingWindow } from './window.ts';

export interface StochasticValue {
  /** Slow %K: SMA(smoothK) of fast %K. */
  k: number;
  /** Slow %D: SMA(smoothD) of slow %K. */
  d: number;
}

/**
 * STOCH(kPeriod, smoothK SMA, smoothD SMA): TA-Lib `STOCH`, slow %K and slow %D.
 * fast %K = (close − lowest low) / ((highest high − lowest low) / 100) over the last `kPeriod`
 * candles, 0 when the range is 0 (TA-Lib's formula and rule). The min/max scan covers a window of
 * `kPeriod` (14): constant work per candle. The SMAs are summed afresh over their 3-value windows
 * instead of TA-Lib's running sum, so they differ from TA-Lib only by rounding (see the contract test).
 * Lookback = (kPeriod − 1) + (smoothK − 1) + (smoothD − 1).
 */
export class Stochastic implements StreamingIndicator<StochasticValue> {
  readonly name: string;
  readonly lookback: number;
  private readonly highs: RollingWindow;
  private readonly lows: RollingWindow;
  private readonly fastK: RollingWindow;
  private readonly slowK: RollingWindow;
  private readonly out: StochasticValue = { k: 0, d: 0 };
  value: StochasticValue | null = null;

  constructor(
    readonly kPeriod = 14,
    readonly smoothK = 3,
    readonly smoothD = 3,
  ) {
    for (const [label, v] of [['kPeriod', kPeriod], ['smoothK', smoothK], ['smoothD', smoothD]] as const) {
      if (!Number.isInteger(v) || v < 1) throw new RangeError(`Stochastic ${label} must be a positive integer, got ${v}`);
    }
    this.name = `STOCH(${kPeriod},${smoothK},${smoothD})`;
    this.lookback = kPeriod - 1 + (smoothK - 1) + (smoothD - 1);
    this.highs = new RollingWindow(kPeriod);
    this.lows = new RollingWindow(kPeriod);
    this.fastK = new RollingWindow(smoothK);
    this.slowK = new RollingWindow(smoothD);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): StochasticValue | null {
    this.highs.push(bar.high);
    this.lows.push(bar.low);
    if (!this.highs.full) return null;
    const lowest = this.lows.min();
    const diff = (this.highs.max() - lowest) / 100.0;
    this.fastK.push(diff !== 0 ? (bar.close - lowest) / diff : 0);
    if (!this.fastK.full) return null;
    this.slowK.push(this.fastK.sum() / this.smoothK);
    if (!this.slowK.full) return null;
    this.out.k = this.slowK.at(this.smoothD - 1);
    this.out.d = this.slowK.sum() / this.smoothD;
    this.value = this.out;
    return this.value;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.fastK.reset();
    this.slowK.reset();
    this.value = null;
  }
}
