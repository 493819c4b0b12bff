import { TA_EPSILON, type Bar, type StreamingIndicator } from './indicator.ts';
import { RunningMoments } from './running.ts';

export interface BollingerValue {
  upper: number;
  middle: number;
  lower: number;
}

/**
 * BBANDS(period, k, SMA) of the close with population σ: TA-Lib `BBANDS` with MA type SMA.
 * middle = mean of the last `period` closes, upper/lower = middle ± k·σ. TA-Lib returns σ = 0 when
 * the variance is below 1e-14 (`TA_IS_ZERO_OR_NEG` in its stddev); we keep that rule so the bands
 * agree on nearly flat windows. Mean and variance come from running shifted sums (running.ts
 * RunningMoments: O(1) a candle, re-summed exactly every few window turns, and computed in the exact
 * two-pass form whenever the running variance could be off by 1e-12 relative), not TA-Lib's
 * running E[x²] − mean², which loses digits to cancellation and drifts.
 * Lookback = period - 1.
 */
export class Bollinger implements StreamingIndicator<BollingerValue> {
  readonly name: string;
  readonly lookback: number;
  private readonly window: RunningMoments;
  private readonly out: BollingerValue = { upper: 0, middle: 0, lower: 0 };
  value: BollingerValue | null = null;

  constructor(
    readonly period = 20,
    readonly k = 2,
  ) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`Bollinger period must be an integer >= 2, got ${period}`);
    this.name = `BBANDS(${period},${k})`;
    this.lookback = period - 1;
    this.window = new RunningMoments(period);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): BollingerValue | null {
    this.window.push(bar.close);
    if (!this.window.full) return null;
    const mean = this.window.mean();
    const variance = this.window.variance();
    const sigma = variance < TA_EPSILON ? 0 : Math.sqrt(variance);
    const width = sigma * this.k;
    this.out.middle = mean;
    this.out.upper = mean + width;
    this.out.lower = mean - width;
    this.value = this.out;
    return this.value;
  }

  reset(): void {
    this.window.reset();
    this.value = null;
  }
}
