/**
 * The client's subscriptions: callbacks by kind, and the set of symbols the stream must carry
 * (the union of prediction and outcome subscriptions; '*' when any is for every symbol).
 */
import { SignalClientError } from './errors.ts';
import type { Subscription } from './types.ts';

interface Entry {
  handle: Subscription;
  cb: (value: never) => void;
}

export class Listeners {
  readonly #entries: Entry[] = [];

  add<T>(kind: Subscription['kind'], cb: (value: T) => void, symbol?: string): Subscription {
    const handle: Subscription = Object.freeze(symbol === undefined ? { kind } : { kind, symbol });
    this.#entries.push({ handle, cb: cb as (value: never) => void });
    return handle;
  }

  /** Removes a handle, every prediction subscription of a symbol, or (undefined) everything. */
  remove(target: Subscription | string | undefined): void {
    for (let i = this.#entries.length - 1; i >= 0; i--) {
      const e = this.#entries[i]!;
      const hit =
        target === undefined ? e.handle.kind !== 'status' && e.handle.kind !== 'error'
        : typeof target === 'string' ? isSymbolKind(e.handle.kind) && e.handle.symbol === target
        : e.handle === target;
      if (hit) this.#entries.splice(i, 1);
    }
  }

  /** Callbacks for `kind` (and, for predictions, for `symbol` or '*'), snapshotted. */
  for<T>(kind: Subscription['kind'], symbol?: string): ((value: T) => void)[] {
    return this.#entries
      .filter((e) => e.handle.kind === kind && (symbol === undefined || e.handle.symbol === symbol || e.handle.symbol === '*'))
      .map((e) => e.cb as (value: T) => void);
  }

  /**
   * Calls each status or error listener. One that throws neither stops the others nor reaches the
   * connection: a status or error listener has nowhere left to report to.
   */
  emit<T>(kind: 'status' | 'error', value: T): void {
    for (const cb of this.for<T>(kind)) {
      try {
        cb(value);
      } catch {
        // see above
      }
    }
  }

  /** Calls each of `cbs`; one that throws is reported to the error listeners (CALLBACK_FAILED). */
  deliver<T>(cbs: readonly ((value: T) => void)[], value: T): void {
    for (const cb of cbs) {
      try {
        cb(value);
      } catch (err) {
        this.emit('error', new SignalClientError('CALLBACK_FAILED', `a subscriber callback threw: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
      }
    }
  }

  /** Whether a listener of `kind` exists (for predictions: one for exactly `symbol`, '*' included). */
  has(kind: Subscription['kind'], symbol?: string): boolean {
    return this.#entries.some((e) => e.handle.kind === kind && (symbol === undefined || e.handle.symbol === symbol));
  }


  /** The stream's symbols: null for all, else the distinct subscribed symbols (maybe none). */
  symbols(): string[] | null {
    const out = new Set<string>();
    for (const e of this.#entries) {
      if (!isSymbolKind(e.handle.kind)) continue;
      if (e.handle.symbol === '*') return null;
      out.add(e.handle.symbol!);
    }
    return [...out].sort();
  }

  /** Every distinct symbol a prediction or outcome listener names, '*' included, sorted. */
  listenedSymbols(): string[] {
    return [...new Set(this.#entries.filter((e) => isSymbolKind(e.handle.kind)).map((e) => e.handle.symbol!))].sort();
  }

  /** Whether anything besides status/error listeners is subscribed. */
  get active(): boolean {
    return this.#entries.some((e) => e.handle.kind !== 'status' && e.handle.kind !== 'error');
  }
}

/** The kinds that follow symbols (and so decide what the stream carries). */
function isSymbolKind(kind: Subscription['kind']): boolean {
  return kind === 'predictions' || kind === 'outcomes';
}
