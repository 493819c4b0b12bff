/**
 * The last N published signals, in stream order (compareCursors), each with its frame already
 * serialised once for every client. It answers "which signals come after this position" for a
 * resuming client, and covers the signals the outbox has not written to the store yet.
 */
import { compareCursors, type PredictionCursor } from '../domain/prediction.ts';
import type { Signal } from '../domain/signal.ts';

export interface RingEntry {
  cursor: PredictionCursor;
  /** `{"type":"signal","data":Signal}`, serialised and UTF-8 encoded once for every client. */
  frame: Buffer;
}

/** Where a client stands in the stream: after a signal, or after an instant (candle_time > time). */
export type StreamPosition = { cursor: PredictionCursor } | { time: number };

export function isAfter(c: PredictionCursor, pos: StreamPosition): boolean {
  return 'cursor' in pos ? compareCursors(c, pos.cursor) > 0 : c.candleTime > pos.time;
}

export function signalCursor(s: Signal): PredictionCursor {
  return { candleTime: Date.parse(s.candle_time), symbol: s.symbol, timeframe: s.timeframe, modelVersion: s.model_version, id: s.id };
}

export class SignalRing {
  readonly capacity: number;
  readonly #buf: (RingEntry | undefined)[];
  readonly #byId = new Map<string, RingEntry>();
  #start = 0;
  #len = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(0, Math.floor(capacity));
    this.#buf = new Array<RingEntry | undefined>(this.capacity);
  }

  get size(): number {
    return this.#len;
  }

  at(i: number): RingEntry {
    return this.#buf[(this.#start + i) % this.capacity]!;
  }

  first(): RingEntry | undefined {
    return this.#len ? this.at(0) : undefined;
  }

  get(id: string): RingEntry | undefined {
    return this.#byId.get(id);
  }

  /**
   * Adds an entry at its place in stream order (normally the end; a late signal is moved back).
   * Returns the entry that fell out when full: the oldest, or the new one itself when it is older
   * than everything kept.
   */
  insert(e: RingEntry): RingEntry | undefined {
    if (this.capacity === 0) return e;
    let evicted: RingEntry | undefined;
    if (this.#len === this.capacity) {
      const head = this.at(0);
      if (compareCursors(e.cursor, head.cursor) < 0) return e;
      evicted = head;
      this.#byId.delete(head.cursor.id);
      this.#buf[this.#start] = undefined;
      this.#start = (this.#start + 1) % this.capacity;
      this.#len -= 1;
    }
    let i = this.#len;
    this.#len += 1;
    while (i > 0 && compareCursors(this.at(i - 1).cursor, e.cursor) > 0) {
      this.#buf[(this.#start + i) % this.capacity] = this.at(i - 1);
      i -= 1;
    }
    this.#buf[(this.#start + i) % this.capacity] = e;
    this.#byId.set(e.cursor.id, e);
    return evicted;
  }

  /** Entries strictly after `pos`, in stream order. */
  after(pos: StreamPosition): RingEntry[] {
    let lo = 0;
    let hi = this.#len;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (isAfter(this.at(mid).cursor, pos)) hi = mid;
      else lo = mid + 1;
    }
    const out: RingEntry[] = [];
    for (let i = lo; i < this.#len; i++) out.push(this.at(i));
    return out;
  }
}
