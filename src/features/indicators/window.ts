/**
 * A fixed-capacity ring of doubles, oldest first, summed afresh on demand (MACD's seed window, read
 * once). The per-candle windowed indicators use running.ts instead: O(1) running sums that are
 * re-summed exactly, so they cannot drift either.
 */
/** The last `capacity` doubles in a ring: the storage the windows here and in running.ts share. */
export abstract class FixedRing {
  protected readonly buf: Float64Array;
  protected head = 0; // next write position
  protected count = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`window capacity must be a positive integer, got ${capacity}`);
    this.buf = new Float64Array(capacity);
  }

  get length(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count === this.capacity;
  }
}

export class RollingWindow extends FixedRing {
  push(x: number): void {
    this.buf[this.head] = x;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    if (this.count < this.capacity) this.count++;
  }

  /** The i-th oldest value held (0 = oldest). */
  at(i: number): number {
    let idx = this.head - this.count + i;
    if (idx < 0) idx += this.capacity;
    return this.buf[idx]!;
  }

  /** Sum of the held values, added oldest to newest (TA-Lib's order for its seed sums). */
  sum(): number {
    return this.sumLast(this.count);
  }

  /** Sum of the newest `k` values, added oldest to newest. */
  sumLast(k: number): number {
    let idx = this.head - k;
    if (idx < 0) idx += this.capacity;
    let s = 0;
    for (let i = 0; i < k; i++) {
      s += this.buf[idx]!;
      idx = idx + 1 === this.capacity ? 0 : idx + 1;
    }
    return s;
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
  }
}
