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

/**
 * EMA(period) of the close, SMA-seeded: TA-Lib `EMA`, lookback period - 1. It is its own EmaCore
 * (no second object to reach through on every candle: the streaming peers' EMAs are that lean).
 */
export class Ema extends EmaCore implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;

  constructor(period: number) {
    super(period);
    this.name = `EMA(${period})`;
    this.lookback = period - 1;
  }

  /** The latest EMA, null while warming up. A getter over the core's double: no boxed number stored per candle. */
  get value(): number | null {
    const v = this.current;
    return v === v ? v : null;
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const v = this.next(bar.close);
    return v === v ? v : null; // NaN while warming up
  }
}
