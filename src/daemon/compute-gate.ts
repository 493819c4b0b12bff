/**
 * Bounded work for POST /v1/predict over caller candles: at most `perKey` computations of one key
 * and `total` in all run at once; up to `queuePerKey` more of a key wait (first come, first
 * served); beyond that the call is refused with 429 TOO_MANY_PREDICTIONS and Retry-After, so one
 * key can neither hold the event loop nor starve the others.
 */
import { ApiError } from '../serve/errors.ts';

export interface ComputeGateOptions {
  perKey: number;
  total: number;
  queuePerKey: number;
}

interface Waiter {
  key: string;
  start: () => void;
}

export class ComputeGate {
  readonly #opts: ComputeGateOptions;
  readonly #running = new Map<string, number>();
  readonly #waiting = new Map<string, number>();
  readonly #queue: Waiter[] = [];
  #total = 0;

  constructor(opts: ComputeGateOptions) {
    this.#opts = opts;
  }

  /** Computations running now (all keys). */
  get running(): number {
    return this.#total;
  }

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    if (this.#canStart(key)) {
      this.#reserve(key);
    } else {
      const waiting = this.#waiting.get(key) ?? 0;
      if (waiting >= this.#opts.queuePerKey) {
        throw new ApiError(429, 'TOO_MANY_PREDICTIONS', `this key already has ${this.#opts.perKey} candle predictions running and ${waiting} waiting; retry shortly`, {
          headers: { 'Retry-After': '1' },
        });
      }
      this.#bump(this.#waiting, key, 1);
      // #next reserves the slot before it wakes the waiter.
      await new Promise<void>((start) => this.#queue.push({ key, start }));
    }
    try {
      return await work();
    } finally {
      this.#bump(this.#running, key, -1);
      this.#total -= 1;
      this.#next();
    }
  }

  #canStart(key: string): boolean {
    return this.#total < this.#opts.total && (this.#running.get(key) ?? 0) < this.#opts.perKey;
  }

  #reserve(key: string): void {
    this.#bump(this.#running, key, 1);
    this.#total += 1;
  }

  /** Starts the first waiters that may run (a key at its own limit does not block the others). */
  #next(): void {
    for (let i = 0; i < this.#queue.length && this.#total < this.#opts.total; ) {
      const w = this.#queue[i]!;
      if (!this.#canStart(w.key)) {
        i += 1;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#bump(this.#waiting, w.key, -1);
      this.#reserve(w.key);
      w.start();
    }
  }

  #bump(m: Map<string, number>, key: string, by: number): void {
    const n = (m.get(key) ?? 0) + by;
    if (n <= 0) m.delete(key);
    else m.set(key, n);
  }
}
