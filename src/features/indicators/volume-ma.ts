import type { Bar, StreamingIndicator } from './indicator.ts';
import { RunningSum } from './running.ts';

/** SMA(period) of the volume: TA-Lib `SMA` on the volume series, from a drift-free running sum (running.ts). Lookback = period − 1. */
export class VolumeMa implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private readonly window: RunningSum;
  value: number | null = null;

  constructor(readonly period = 20) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`volume MA period must be a positive integer, got ${period}`);
    this.name = `SMA(volume,${period})`;
    this.lookback = period - 1;
    this.window = new RunningSum(period);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    this.window.push(bar.volume);
    if (!this.window.full) return null;
    this.value = this.window.sum / this.period;
    return this.value;
  }

  reset(): void {
    this.window.reset();
    this.value = null;
  }
}
