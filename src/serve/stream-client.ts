/**
 * One websocket subscriber: what it subscribed to, where it stands (idle, catching up, live), the
 * live events held for it while it catches up (bounded), and the slow-consumer policy. Sends never
 * wait: a client whose unsent backlog passes the bound is closed with 1013 and cut after a grace
 * period, so the publisher and every other client carry on at their own pace.
 */
import { WebSocket } from 'ws';
import type { RingEntry } from './signal-ring.ts';

export type ClientState = 'idle' | 'catching_up' | 'live' | 'closed';
export type DropReason = 'slow_consumer' | 'ping_timeout' | 'catchup_overflow' | 'key_revoked';

/** Held for a catching-up client: signals (merged by cursor later) and other events (in arrival order). */
export type PendingEvent = { kind: 'signal'; entry: RingEntry } | { kind: 'event'; type: string; symbol: string | null; frame: string };

/** `symbols` omitted or ["*"] means all; unsubscribing from some while subscribed to all excludes them. */
export class SymbolFilter {
  #all = false;
  readonly #include = new Set<string>();
  readonly #exclude = new Set<string>();

  /** Replaces the subscription (a subscribe with `since` starts over). */
  reset(): void {
    this.#all = false;
    this.#include.clear();
    this.#exclude.clear();
  }

  add(symbols: readonly string[] | null): void {
    if (symbols === null) {
      this.#all = true;
      this.#include.clear();
      this.#exclude.clear();
      return;
    }
    for (const s of symbols) {
      if (this.#all) this.#exclude.delete(s);
      else this.#include.add(s);
    }
  }

  remove(symbols: readonly string[] | null): void {
    if (symbols === null) {
      this.reset();
      return;
    }
    for (const s of symbols) {
      if (this.#all) this.#exclude.add(s);
      else this.#include.delete(s);
    }
  }

  matches(symbol: string): boolean {
    return this.#all ? !this.#exclude.has(symbol) : this.#include.has(symbol);
  }

  /** The symbols to ask the store for; undefined means all (exclusions are filtered locally). */
  storeSymbols(): string[] | undefined {
    return this.#all ? undefined : [...this.#include];
  }

  describe(): string[] {
    if (this.#all) return ['*', ...[...this.#exclude].map((s) => `-${s}`)];
    return [...this.#include];
  }
}

export interface ClientLimits {
  maxBufferedBytes: number;
  maxPending: number;
  closeGraceMs: number;
  maxMessagesPerSecond: number;
}

export class StreamClient {
  readonly id: number;
  readonly ws: WebSocket;
  readonly keyName: string | null;
  /** Re-checks the client's key (revocation while connected); resolves false when no longer valid. */
  readonly revalidate: (() => Promise<boolean>) | undefined;
  readonly filter = new SymbolFilter();
  state: ClientState = 'idle';
  /** Set by a pong, cleared by each ping. */
  alive = true;
  /** Bumped whenever a running catch-up must stop (superseded, closed). */
  generation = 0;
  pending: PendingEvent[] = [];
  #closing = false;
  #corked = false;
  #msgSecond = -1;
  #msgCount = 0;
  readonly #limits: ClientLimits;
  readonly #onDrop: (c: StreamClient, reason: DropReason) => void;
  readonly #onSent: (type: string) => void;

  constructor(
    id: number,
    ws: WebSocket,
    opts: {
      keyName: string | null;
      revalidate?: () => Promise<boolean>;
      limits: ClientLimits;
      onDrop: (c: StreamClient, reason: DropReason) => void;
      onSent: (type: string) => void;
    },
  ) {
    this.id = id;
    this.ws = ws;
    this.keyName = opts.keyName;
    this.revalidate = opts.revalidate;
    this.#limits = opts.limits;
    this.#onDrop = opts.onDrop;
    this.#onSent = opts.onSent;
  }

  get closing(): boolean {
    return this.#closing || this.state === 'closed';
  }

  /**
   * Queues a frame on the socket without waiting. False when closed, or dropped by this send.
   * The slow-consumer bound applies to the backlog left by earlier sends, checked before adding
   * more: a burst (one tick's signals) is never mistaken for a backlog, and a client is at most one
   * burst over the bound before it is dropped.
   */
  send(frame: string | Buffer, type: string): boolean {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return false;
    if (!this.#corked && !this.#backlogOk()) return false;
    // A Buffer goes out as is (a text frame): shared by every client, encoded once.
    this.ws.send(frame, { binary: false });
    this.#onSent(type);
    return true;
  }

  /**
   * Starts a burst: the sends until uncork() leave in a single socket write (one writev instead of
   * one syscall per frame). False, and the client is dropped, when its earlier backlog is over the
   * bound. Uses ws's underlying socket, which it does not expose publicly.
   */
  cork(): boolean {
    if (this.#corked) return true;
    if (this.closing || this.ws.readyState !== WebSocket.OPEN || !this.#backlogOk()) return false;
    this.#socket()?.cork();
    this.#corked = true;
    return true;
  }

  uncork(): void {
    if (!this.#corked) return;
    this.#corked = false;
    this.#socket()?.uncork();
  }

  get corked(): boolean {
    return this.#corked;
  }

  #socket(): { cork(): void; uncork(): void } | undefined {
    return (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket ?? undefined;
  }

  #backlogOk(): boolean {
    if (this.ws.bufferedAmount <= this.#limits.maxBufferedBytes) return true;
    this.drop('slow_consumer', 1013, `slow consumer: more than ${this.#limits.maxBufferedBytes} bytes unsent`);
    return false;
  }

  /** Resolves once everything queued so far has been handed to the OS (catch-up pacing). */
  flushed(): Promise<void> {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN || this.ws.bufferedAmount === 0) return Promise.resolve();
    // A zero-length ping is the cheapest frame whose write callback marks "all before me is written".
    return new Promise((resolve) => {
      const done = () => {
        this.ws.off('close', done);
        resolve();
      };
      this.ws.once('close', done);
      this.ws.ping(undefined, undefined, done);
    });
  }

  sendError(code: string, message: string): void {
    this.send(JSON.stringify({ type: 'error', code, message }), 'error');
  }

  /** Holds a live event for a catching-up client; past the bound the client is dropped. */
  hold(ev: PendingEvent): void {
    if (this.closing) return;
    if (this.pending.length >= this.#limits.maxPending) {
      this.drop('catchup_overflow', 1013, 'catch-up too slow: too many live events queued behind it; reconnect with since');
      return;
    }
    this.pending.push(ev);
  }

  /** Counts a client → server message; false when over the per-second allowance. */
  allowMessage(now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.#msgSecond) {
      this.#msgSecond = second;
      this.#msgCount = 0;
    }
    this.#msgCount += 1;
    return this.#msgCount <= this.#limits.maxMessagesPerSecond;
  }

  /** Closes with a code and reason, counted; the socket is cut if the close handshake stalls. */
  drop(reason: DropReason, code: number, message: string): void {
    if (this.closing) return;
    this.#onDrop(this, reason);
    if (reason === 'ping_timeout') {
      this.#markClosing();
      this.ws.terminate();
      return;
    }
    this.close(code, message);
  }

  /** The socket is gone: stop any catch-up and forget held events. */
  closed(): void {
    this.state = 'closed';
    this.generation += 1;
    this.pending = [];
  }

  close(code: number, message: string): void {
    if (this.closing) return;
    this.#markClosing();
    try {
      this.ws.close(code, message.slice(0, 120));
    } catch {
      this.ws.terminate();
      return;
    }
    const timer = setTimeout(() => this.ws.terminate(), this.#limits.closeGraceMs);
    timer.unref();
    this.ws.once('close', () => clearTimeout(timer));
  }

  #markClosing(): void {
    this.#closing = true;
    this.generation += 1;
    this.pending = [];
  }
}
