/**
 * Groups live candles into ticks. Candles of different symbols that open at the same time arrive a
 * few milliseconds apart; the assembler holds them until every subscribed symbol has reported or a
 * linger has passed since the first one, then emits them as one batch. When a later tick completes,
 * earlier pending ticks are emitted first, so batches stay in time order; a straggler arriving after
 * its tick was emitted gets a batch of its own.
 */
import type { Candle } from '../../domain/candle.ts';
import { timeframeMs } from '../../domain/timeframe.ts';
import type { CandleBatch } from '../source.ts';

interface Pending {
  openTime: number;
  candles: Candle[];
  deadline: number;
}

export class TickAssembler {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly expected: number,
    private readonly lingerMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Adds one candle; returns the batches now ready, in time order. */
  add(c: Candle): CandleBatch[] {
    let p = this.pending.get(c.openTime);
    if (!p) {
      p = { openTime: c.openTime, candles: [], deadline: this.now() + this.lingerMs };
      this.pending.set(c.openTime, p);
    }
    p.candles.push(c);
    if (p.candles.length < this.expected) return [];
    return this.takeWhere((q) => q.openTime <= c.openTime);
  }

  /** Milliseconds until the earliest linger ends, or undefined when nothing is pending. */
  msUntilDue(): number | undefined {
    let min: number | undefined;
    for (const p of this.pending.values()) min = min === undefined ? p.deadline : Math.min(min, p.deadline);
    return min === undefined ? undefined : Math.max(0, min - this.now());
  }

  /** Batches whose linger (plus `graceMs`) has ended, and every earlier one. */
  takeDue(graceMs = 0): CandleBatch[] {
    const now = this.now();
    let upTo = -Infinity;
    for (const p of this.pending.values()) if (p.deadline + graceMs <= now) upTo = Math.max(upTo, p.openTime);
    return this.takeWhere((q) => q.openTime <= upTo);
  }

  /**
   * Pending ticks holding a candle of any of `symbols`, and every earlier one. A backfill of those
   * symbols must deliver these first, or a held candle would reach the sink after later ones.
   */
  takeHolding(symbols: ReadonlySet<string>): CandleBatch[] {
    let upTo = -Infinity;
    for (const p of this.pending.values()) if (p.candles.some((c) => symbols.has(c.symbol))) upTo = Math.max(upTo, p.openTime);
    return this.takeWhere((q) => q.openTime <= upTo);
  }

  takeAll(): CandleBatch[] {
    return this.takeWhere(() => true);
  }

  private takeWhere(pred: (p: Pending) => boolean): CandleBatch[] {
    const ready = [...this.pending.values()].filter(pred).sort((a, b) => a.openTime - b.openTime);
    for (const p of ready) this.pending.delete(p.openTime);
    return ready.map((p) => ({
      closeTime: p.openTime + timeframeMs(p.candles[0]!.timeframe),
      candles: p.candles.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)),
      backfill: false,
    }));
  }
}
