import type { Bar, StreamingIndicator } from './indicator.ts';
import { EmaCore } from './ema.ts';
import { RollingWindow } from './window.ts';

export interface MacdValue {
  macd: number;
  signal: number;
  histogram: number;
}

/**
 * MACD(fast, slow, signal) of the close: TA-Lib `MACD`, including its seeding.
 *
 * TA-Lib starts both EMAs on the same candle, the slow lookback (slow − 1): the slow EMA is seeded
 * with the mean of the first `slow` closes, the fast EMA with the mean of the `fast` closes ending
 * on that same candle (the earlier closes never enter the fast EMA). The MACD line runs from that
 * candle; the signal EMA is seeded with the mean of the first `signal` MACD values. Both outputs
 * start together at lookback (slow − 1) + (signal − 1), as TA-Lib's do.
 */
export class Macd implements StreamingIndicator<MacdValue> {
  readonly name: string;
  readonly lookback: number;
  private readonly fastEma: EmaCore;
  private readonly slowEma: EmaCore;
  private readonly signalEma: EmaCore;
  /** The first `slow` closes, to seed both EMAs on the same candle. */
  private readonly seedCloses: RollingWindow;
  private seeded = false;
  private readonly out: MacdValue = { macd: 0, signal: 0, histogram: 0 };
  value: MacdValue | null = null;

  constructor(
    readonly fast = 12,
    readonly slow = 26,
    readonly signal = 9,
  ) {
    if (!Number.isInteger(fast) || !Number.isInteger(slow) || !Number.isInteger(signal) || fast < 2 || slow < 2 || signal < 1) {
      throw new RangeError(`MACD periods must be integers (fast, slow >= 2, signal >= 1), got ${fast},${slow},${signal}`);
    }
    if (slow < fast) [this.fast, this.slow] = [slow, fast]; // TA-Lib swaps them too
    this.name = `MACD(${this.fast},${this.slow},${signal})`;
    this.lookback = this.slow - 1 + (signal - 1);
    this.fastEma = new EmaCore(this.fast);
    this.slowEma = new EmaCore(this.slow);
    this.signalEma = new EmaCore(signal);
    this.seedCloses = new RollingWindow(this.slow);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): MacdValue | null {
    let fast: number;
    let slow: number;
    if (!this.seeded) {
      this.seedCloses.push(bar.close);
      if (!this.seedCloses.full) return null;
      slow = this.seedCloses.sum() / this.slow;
      fast = this.seedCloses.sumLast(this.fast) / this.fast;
      this.slowEma.seed(slow);
      this.fastEma.seed(fast);
      this.seeded = true;
    } else {
      fast = this.fastEma.next(bar.close);
      slow = this.slowEma.next(bar.close);
    }
    const line = fast - slow;
    const sig = this.signalEma.next(line);
    if (sig !== sig) return null; // signal EMA still warming up
    this.out.macd = line;
    this.out.signal = sig;
    this.out.histogram = line - sig;
    this.value = this.out;
    return this.value;
  }

  reset(): void {
    this.fastEma.reset();
    this.slowEma.reset();
    this.signalEma.reset();
    this.seedCloses.reset();
    this.seeded = false;
    this.value = null;
  }
}
