/**
 * A fixed-capacity ring of doubles, oldest first. Windowed indicators keep their last N inputs here
 * and recompute sums over them (N is a small constant: still O(1) per candle, and unlike a running
 * sum it cannot drift over months of candles).
 */
export class RollingWindow {
  private readonly buf: Float64Array;
  private head = 0; // next write position
  private count = 0;

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

  /** Population variance around `mean` (two-pass form: no cancellation between large squares). */
  varianceAround(mean: number): number {
    let idx = this.head - this.count;
    if (idx < 0) idx += this.capacity;
    let s = 0;
    for (let i = 0; i < this.count; i++) {
      const d = this.buf[idx]! - mean;
      s += d * d;
      idx = idx + 1 === this.capacity ? 0 : idx + 1;
    }
    return s / this.count;
  }

  min(): number {
    let m = Infinity;
    for (let i = 0; i < this.count; i++) if (this.buf[i]! < m) m = this.buf[i]!;
    return m;
  }

  max(): number {
    let m = -Infinity;
    for (let i = 0; i < this.count; i++) if (this.buf[i]! > m) m = this.buf[i]!;
    return m;
  }

  reset(): void {
    this.head = 0;
    this.count = 0;
  }
}
