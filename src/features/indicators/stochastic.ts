import type { Bar, StreamingIndicator } from './indicator.ts';
import { RollingMax, RunningSum } from './running.ts';

export interface StochasticValue {
  /** Slow %K: SMA(smoothK) of fast %K. */
  k: number;
  /** Slow %D: SMA(smoothD) of slow %K. */
  d: number;
}

/**
 * STOCH(kPeriod, smoothK SMA, smoothD SMA): TA-Lib `STOCH`, slow %K and slow %D.
 * fast %K = (close − lowest low) / ((highest high − lowest low) / 100) over the last `kPeriod`
 * candles, 0 when the range is 0 (TA-Lib's rule; computed as 100·(close − low) / range, one division fewer,
 * equal to TA-Lib's to rounding). Highest high and lowest low come from
 * running.ts RollingMax (van Herk / Gil-Werman blocks; the low through −low): O(1) a candle. The two
 * SMAs are drift-free running sums (running.ts RunningSum), as TA-Lib's running sums but re-summed,
 * so they differ from TA-Lib only by rounding (see the contract test).
 * Lookback = (kPeriod − 1) + (smoothK − 1) + (smoothD − 1).
 */
export class Stochastic implements StreamingIndicator<StochasticValue> {
  readonly name: string;
  readonly lookback: number;
  private readonly highs: RollingMax;
  /** Max of −low: the lowest low, negated. */
  private readonly lows: RollingMax;
  private readonly fastK: RunningSum;
  private readonly slowK: RunningSum;
  private readonly out: StochasticValue = { k: 0, d: 0 };
  /** Candles seen, and the counts at which fast %K, slow %K and slow %D first exist. */
  private seen = 0;
  private readonly fastKFrom: number;
  private readonly slowKFrom: number;
  private readonly invSmoothK: number;
  private readonly invSmoothD: number;
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
    this.highs = new RollingMax(kPeriod);
    this.lows = new RollingMax(kPeriod);
    this.fastK = new RunningSum(smoothK);
    this.slowK = new RunningSum(smoothD);
    this.fastKFrom = kPeriod;
    this.slowKFrom = kPeriod + smoothK - 1;
    this.invSmoothK = 1 / smoothK;
    this.invSmoothD = 1 / smoothD;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): StochasticValue | null {
    const highest = this.highs.push(bar.high);
    const lowest = -this.lows.push(-bar.low);
    const n = ++this.seen;
    if (n < this.fastKFrom) return null;
    const range = highest - lowest;
    const fastK = this.fastK;
    fastK.push(range !== 0 ? (100 * (bar.close - lowest)) / range : 0);
    if (n < this.slowKFrom) return null;
    const k = fastK.sum * this.invSmoothK;
    const slowK = this.slowK;
    slowK.push(k);
    if (n <= this.lookback) return null;
    const out = this.out;
    out.k = k;
    out.d = slowK.sum * this.invSmoothD;
    this.value = out;
    return out;
  }

  reset(): void {
    this.highs.reset();
    this.lows.reset();
    this.fastK.reset();
    this.slowK.reset();
    this.seen = 0;
    this.value = null;
  }
}
