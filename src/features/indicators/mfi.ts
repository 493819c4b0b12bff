import type { Bar, StreamingIndicator } from './indicator.ts';
import { RunningSum } from './running.ts';

/**
 * MFI(period): TA-Lib `MFI`. Typical price tp = (high + low + close) / 3, money flow = tp · volume,
 * counted as positive when tp rose from the previous candle, negative when it fell, neither when
 * equal. MFI = 100 · positive / (positive + negative) over the last `period` flows.
 *
 * TA-Lib quirk kept on purpose: when positive + negative < 1.0 (in quote-currency units) TA-Lib
 * outputs 0. That bound depends on the quote unit (tiny for BTC-quoted pairs with little volume),
 * but the contract is TA-Lib's definition, so a 0 here means exactly what it means in TA-Lib.
 * Flows are kept in drift-free running sums (running.ts RunningSum). Lookback = period.
 */
export class Mfi implements StreamingIndicator<number> {
  readonly name: string;
  readonly lookback: number;
  private started = false;
  private prevTp = 0;
  private readonly positive: RunningSum;
  private readonly negative: RunningSum;
  value: number | null = null;

  constructor(readonly period = 14) {
    if (!Number.isInteger(period) || period < 2) throw new RangeError(`MFI period must be an integer >= 2, got ${period}`);
    this.name = `MFI(${period})`;
    this.lookback = period;
    this.positive = new RunningSum(period);
    this.negative = new RunningSum(period);
  }

  get isStable(): boolean {
    return this.value !== null;
  }

  update(bar: Bar): number | null {
    const tp = (bar.high + bar.low + bar.close) / 3.0;
    if (!this.started) {
      this.started = true;
      this.prevTp = tp;
      return null;
    }
    const change = tp - this.prevTp;
    this.prevTp = tp;
    const flow = tp * bar.volume;
    this.positive.push(change > 0 ? flow : 0);
    this.negative.push(change < 0 ? flow : 0);
    if (!this.positive.full) return null;
    const pos = this.positive.sum;
    const total = pos + this.negative.sum;
    this.value = total < 1.0 ? 0 : 100.0 * (pos / total);
    return this.value;
  }

  reset(): void {
    this.started = false;
    this.prevTp = 0;
    this.positive.reset();
    this.negative.reset();
    this.value = null;
  }
}
