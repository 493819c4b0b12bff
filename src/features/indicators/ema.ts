import type { Bar, StreamingIndicator } from './indicator.ts';

/**
 * The EMA recurrence over plain numbers, TA-Lib's `TA_INT_EMA` with the default compatibility:
 * the first value (after `period` inputs) is their simple mean, summed oldest first; afterwards
 * `ema = (x - ema) * k + ema` with k = 2 / (period + 1), in that operation order.
 * `next` returns NaN while warming up (no allocation, no null checks on the hot path).
 */
export class EmaCore {
  readonly k: number;
  private seedSum = 0;
  private count = 0;
  private ema = NaN;

  constructor(readonly period: number) {
    if (!Number.isInteger(period) || period < 1) throw new RangeError(`EMA period must be a positive integer, got ${period}`);
    this.k = 2 / (period + 1);
  }

  get current(): number {
    return this.ema;
  }

  next(x: number): number {
    if (this.count < this.period) {
      this.seedSum += x;
      this.count++;
      if (this.count === this.period) this.ema = this.seedSum / this.period;
      return this.ema;
    }
    this.ema = (x - this.ema) * this.k + this.ema;
    return this.ema;
  }

  /** Start from a seed computed elsewhere (MACD seeds its fast EMA on a later window). */
  seed(value: number): void {
    this.count = this.period;
    this.ema = value;
  }

  reset(): void {
    this.seedSum = 0;
    this.count = 0;
    this.ema = NaN;
  }
}

/** EMA(period) of the close, SMA-seeded: TA-Lib `EMA`, lookback period - 1. */
export class Ema implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private readonly core: EmaCore;
  value: number | null = null;

  constructor(readonly period: number) {
    this.core = new EmaCore(period);
    this.name = `EMA(${period})`;
    this.lookback = period - 1;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const v = this.core.next(bar.close);
    if (v === v) this.value = v; // not NaN
    return this.value;
  }

  reset(): void {
    this.core.reset();
    this.value = null;
  }
}
