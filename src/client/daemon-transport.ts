/**
 * The daemon transport: one websocket to the daemon's /v1/stream (DESIGN.md "Websocket stream").
 *
 * - Auth with `Authorization: Bearer KEY`. A 401/403 at the upgrade is fatal (status `closed` with
 *   UNAUTHORIZED / FORBIDDEN); every other failure reconnects with jittered, capped backoff
 *   (backoff.ts; a 429's Retry-After is honoured).
 * - On every (re)connection the client sends one subscribe for the symbols its listeners want, with
 *   `since` = the id of the last signal it delivered (or the caller's `since` before the first one).
 *   The server replays the stored signals after that point, then continues live: no gap. Ids seen
 *   recently are dropped (RecentIds): no duplicate, even if a replay overlaps what was delivered.
 * - The server pings every 30 s; a connection with neither a frame nor a ping for `staleAfterMs`
 *   is presumed half-dead and replaced.
 * - Listener changes while connected are sent as subscribe / unsubscribe deltas.
 */
import WebSocket from 'ws';
import { createBackoff, type Backoff } from './backoff.ts';
import { SignalClientError } from './errors.ts';
import { parseServerFrame, type ServerFrame } from './frames.ts';
import { Listeners } from './listeners.ts';
import { RecentIds } from './recent-ids.ts';
import type {
  ClientStatus,
  DaemonTransportOptions,
  DriftUpdate,
  ModelUpdate,
  Signal,
  SignalClient,
  StatusEvent,
  Subscription,
  WeightUpdate,
} from './types.ts';

/** A connection that lasted this long was healthy: the next failure starts from the shortest delay. */
const HEALTHY_AFTER_MS = 5_000;
const CLOSE_WAIT_MS = 2_000;

/** 'ltc-btc' → 'LTC/BTC', as the server normalises (so local filtering agrees with it). */
export function normalizeSymbol(symbol: string): string {
  const s = symbol.trim().toUpperCase();
  return s === '*' ? s : s.replace(/[-_]/, '/');
}

export class DaemonSignalClient implements SignalClient {
  readonly #url: string;
  readonly #key: string;
  readonly #staleAfterMs: number;
  readonly #listeners = new Listeners();
  readonly #recent: RecentIds;
  readonly #backoff: Backoff;
  #status: ClientStatus = 'connecting';
  #since: string | undefined;
  #lastId: string | null = null;
  #ws: WebSocket | null = null;
  /** The symbols the server filters on for this connection (null: all); undefined before the subscribe. */
  #serverSymbols: string[] | null | undefined;
  #closed = false;
  #closing: Promise<void> | null = null;
  #retryTimer: NodeJS.Timeout | undefined;
  #staleTimer: NodeJS.Timeout | undefined;

  constructor(opts: DaemonTransportOptions) {
    let url: URL;
    try {
      url = new URL(opts.url);
    } catch {
      throw new SignalClientError('INVALID_OPTIONS', `url '${opts.url}' is not a URL; expected ws://host:port/v1/stream`);
    }
    if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
      throw new SignalClientError('INVALID_OPTIONS', `url '${opts.url}' must be ws:// or wss:// (e.g. ws://127.0.0.1:8787/v1/stream)`);
    }
    if (!opts.key || opts.key.trim() === '') throw new SignalClientError('INVALID_OPTIONS', 'key is required (an API key of any type)');
    this.#url = url.toString();
    this.#key = opts.key.trim();
    this.#since = opts.since;
    this.#staleAfterMs = opts.staleAfterMs ?? 75_000;
    this.#recent = new RecentIds(opts.dedupeWindow ?? 10_000);
    this.#backoff = createBackoff(opts.backoff);
    // After the caller's synchronous setup, so its status listener sees 'connecting'.
    queueMicrotask(() => this.#connect());
  }

  get status(): ClientStatus {
    return this.#status;
  }

  get lastSignalId(): string | null {
    return this.#lastId;
  }

  subscribeToPredictions(symbol: string, cb: (signal: Signal) => void): Subscription {
    const handle = this.#listeners.add('predictions', cb, normalizeSymbol(symbol));
    this.#syncSymbols();
    return handle;
  }

  subscribeToModelUpdates(cb: (update: ModelUpdate) => void): Subscription {
    return this.#listeners.add('model', cb);
  }

  subscribeToWeightUpdates(cb: (update: WeightUpdate) => void): Subscription {
    return this.#listeners.add('weights', cb);
  }

  subscribeToDrift(cb: (update: DriftUpdate) => void): Subscription {
    return this.#listeners.add('drift', cb);
  }

  onStatus(cb: (event: StatusEvent) => void): Subscription {
    return this.#listeners.add('status', cb);
  }

  onError(cb: (err: SignalClientError) => void): Subscription {
    return this.#listeners.add('error', cb);
  }

  unsubscribe(target?: Subscription | string): void {
    this.#listeners.remove(typeof target === 'string' ? normalizeSymbol(target) : target);
    this.#syncSymbols();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#staleTimer);
    const ws = this.#ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, CLOSE_WAIT_MS);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'client closed');
        else ws.terminate();
      });
    }
    this.#ws = null;
    this.#setStatus({ status: 'closed' });
  }

  #connect(): void {
    if (this.#closed) return;
    this.#serverSymbols = undefined;
    let failure: SignalClientError | undefined;
    let retryAfterMs = 0;
    let openedAt = 0;
    const ws = new WebSocket(this.#url, { headers: { Authorization: `Bearer ${this.#key}` }, handshakeTimeout: 10_000 });
    this.#ws = ws;

    ws.on('unexpected-response', (req, res) => {
      const code = res.statusCode ?? 0;
      const retryAfter = Number(res.headers['retry-after']);
      if (Number.isFinite(retryAfter) && retryAfter > 0) retryAfterMs = retryAfter * 1000;
      failure =
        code === 401 ? new SignalClientError('UNAUTHORIZED', `the daemon at ${this.#url} refused the key (HTTP 401): unknown, revoked or expired`, { context: { status: code } })
        : code === 403 ? new SignalClientError('FORBIDDEN', `the daemon at ${this.#url} refused the key (HTTP 403)`, { context: { status: code } })
        : code === 429 ? new SignalClientError('RATE_LIMITED', `the key's hourly limit is reached (HTTP 429); retrying after ${retryAfterMs / 1000} s`, { retryable: true, context: { status: code } })
        : new SignalClientError('HTTP_ERROR', `the daemon at ${this.#url} answered the upgrade with HTTP ${code}`, { retryable: true, context: { status: code } });
      res.resume();
      ws.terminate(); // → 'error' (ignored, failure is set) and 'close'
    });
    ws.on('error', (err) => {
      failure ??= new SignalClientError('CONNECT_FAILED', `cannot connect to ${this.#url}: ${err.message}`, { retryable: true, cause: err });
    });
    ws.on('open', () => {
      openedAt = Date.now();
      this.#touch(ws);
      this.#subscribe(ws);
      this.#setStatus({ status: 'open', ...(this.#resumePoint() !== undefined ? { since: this.#resumePoint()! } : {}) });
    });
    ws.on('ping', () => this.#touch(ws));
    ws.on('message', (data, isBinary) => {
      this.#touch(ws);
      if (isBinary) return this.#emitError(new SignalClientError('BAD_FRAME', 'the server sent a binary frame; ignored'));
      this.#onFrame(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
    });
    ws.on('close', (code, reason) => {
      clearTimeout(this.#staleTimer);
      if (this.#ws === ws) this.#ws = null;
      if (this.#closed) return;
      if (openedAt > 0) {
        failure ??= new SignalClientError('CONNECTION_LOST', `the connection closed (code ${code}${reason.length ? `: ${reason.toString()}` : ''})`, {
          retryable: true,
          context: { closeCode: code },
        });
        if (Date.now() - openedAt >= HEALTHY_AFTER_MS) this.#backoff.reset();
      }
      if (failure?.fatal) {
        this.#closed = true;
        this.#closing = Promise.resolve();
        this.#setStatus({ status: 'closed', error: failure });
        return;
      }
      const delayMs = Math.max(this.#backoff.next(), retryAfterMs);
      this.#setStatus({ status: 'reconnecting', attempt: this.#backoff.attempt, delayMs, ...(failure ? { error: failure } : {}) });
      this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
    });
  }

  /** Where a new subscription starts: after the last delivered signal, else the caller's since. */
  #resumePoint(): string | undefined {
    return this.#lastId ?? this.#since;
  }

  #subscribe(ws: WebSocket): void {
    const symbols = this.#listeners.symbols();
    const since = this.#resumePoint();
    // symbols [] still makes the connection live, so model and drift messages arrive.
    this.#send(ws, { type: 'subscribe', symbols: symbols ?? ['*'], ...(since !== undefined ? { since } : {}) });
    this.#serverSymbols = symbols;
  }

  /** Sends the difference between what the listeners want and what the server filters on. */
  #syncSymbols(): void {
    const ws = this.#ws;
    const have = this.#serverSymbols;
    if (!ws || ws.readyState !== WebSocket.OPEN || have === undefined) return; // the next subscribe carries it
    const want = this.#listeners.symbols();
    if (want === null) {
      if (have !== null) this.#send(ws, { type: 'subscribe', symbols: ['*'] });
    } else if (have === null) {
      this.#send(ws, { type: 'unsubscribe' });
      if (want.length > 0) this.#send(ws, { type: 'subscribe', symbols: want });
    } else {
      const added = want.filter((s) => !have.includes(s));
      const removed = have.filter((s) => !want.includes(s));
      if (added.length > 0) this.#send(ws, { type: 'subscribe', symbols: added });
      if (removed.length > 0) this.#send(ws, { type: 'unsubscribe', symbols: removed });
    }
    this.#serverSymbols = want;
  }

  #send(ws: WebSocket, msg: Record<string, unknown>): void {
    ws.send(JSON.stringify(msg));
  }

  /** Any sign of life restarts the stale-connection timer. */
  #touch(ws: WebSocket): void {
    clearTimeout(this.#staleTimer);
    this.#staleTimer = setTimeout(() => {
      if (this.#ws !== ws) return;
      this.#emitError(new SignalClientError('STALE_CONNECTION', `nothing from the server for ${this.#staleAfterMs} ms; reconnecting`, { retryable: true }));
      ws.terminate();
    }, this.#staleAfterMs);
    this.#staleTimer.unref();
  }

  #onFrame(text: string): void {
    const parsed = parseServerFrame(text);
    if ('invalid' in parsed) {
      this.#emitError(new SignalClientError('BAD_FRAME', `ignored a malformed server frame: ${parsed.invalid}`));
      return;
    }
    const frame: ServerFrame | null = parsed.frame;
    if (!frame) return;
    switch (frame.type) {
      case 'signal': {
        const s = frame.data;
        if (!this.#recent.add(s.id)) return; // delivered already (a resume overlapped)
        this.#lastId = s.id;
        this.#listeners.deliver(this.#listeners.for<Signal>('predictions', s.symbol), s);
        return;
      }
      case 'model': {
        this.#listeners.deliver(this.#listeners.for<ModelUpdate>('model'), frame.data);
        if (frame.data.new_weights !== undefined || frame.data.weights !== undefined) {
          this.#listeners.deliver(this.#listeners.for<WeightUpdate>('weights'), frame.data);
        }
        return;
      }
      case 'weights':
        this.#listeners.deliver(this.#listeners.for<WeightUpdate>('weights'), frame.data);
        return;
      case 'drift':
        this.#listeners.deliver(this.#listeners.for<DriftUpdate>('drift'), frame.data);
        return;
      case 'outcome':
        return; // no outcome API yet
      case 'error':
        this.#emitError(new SignalClientError(frame.code, `the server reported ${frame.code}: ${frame.message}`));
        return;
    }
  }

  #emitError(err: SignalClientError): void {
    this.#listeners.emit('error', err);
  }

  #setStatus(event: StatusEvent): void {
    if (this.#status === 'closed' && event.status === 'closed') {
      if (!event.error) return; // already announced
    }
    this.#status = event.status;
    this.#listeners.emit('status', event);
  }
}
