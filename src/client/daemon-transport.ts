/**
 * The daemon transport: one websocket to the daemon's /v1/stream (DESIGN.md "Websocket stream").
 *
 * - Auth with `Authorization: Bearer KEY` (Node) or `?key=KEY` (browser). A 401/403 at the upgrade
 *   is fatal in Node (status `closed` with UNAUTHORIZED / FORBIDDEN; a browser cannot see the
 *   status); every other failure reconnects with jittered, capped backoff (backoff.ts; a 429's
 *   Retry-After is honoured).
 * - On every (re)connection the client sends one subscribe for the symbols its listeners want, with
 *   `since` = the id of the last signal it delivered (or the caller's `since` before the first one).
 *   The server replays the stored signals after that point, then continues live: no gap. Ids seen
 *   recently are dropped (RecentIds): no duplicate, even if a replay overlaps what was delivered.
 * - The server pings every 30 s; a connection with neither a frame nor a ping for `staleAfterMs`
 *   is presumed half-dead and replaced (Node, where pings are visible).
 * - Outcome frames are delivered to outcome listeners, once per signal.
 * - Listener changes while connected are sent as subscribe / unsubscribe deltas.
 */
import { createBackoff, type Backoff } from './backoff.ts';
import { BaseSignalClient, normalizeSymbol } from './client-base.ts';
import { SignalClientError } from './errors.ts';
import { parseServerFrame, type ServerFrame } from './frames.ts';
import type { ClientPlatform, DaemonSocket } from './platform.ts';
import type { DaemonTransportOptions, WeightUpdate } from './types.ts';

/** A connection that lasted this long was healthy: the next failure starts from the shortest delay. */
const HEALTHY_AFTER_MS = 5_000;
const CLOSE_WAIT_MS = 2_000;

export { normalizeSymbol };

export class DaemonSignalClient extends BaseSignalClient {
  readonly #url: string;
  readonly #key: string;
  readonly #staleAfterMs: number;
  readonly #platform: ClientPlatform;
  readonly #backoff: Backoff;
  #since: string | undefined;
  #ws: DaemonSocket | null = null;
  /** The symbols the server filters on for this connection (null: all); undefined before the subscribe. */
  #serverSymbols: string[] | null | undefined;
  #closed = false;
  #closing: Promise<void> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #staleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: DaemonTransportOptions, platform: ClientPlatform) {
    super(opts.dedupeWindow);
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
    this.#platform = platform;
    this.#staleAfterMs = opts.staleAfterMs ?? 75_000;
    this.#backoff = createBackoff(opts.backoff);
    // After the caller's synchronous setup, so its status listener sees 'connecting'.
    queueMicrotask(() => this.#connect());
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  protected symbolsChanged(): void {
    this.#syncSymbols();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#staleTimer);
    await this.#ws?.close(CLOSE_WAIT_MS);
    this.#ws = null;
    this.setStatus({ status: 'closed' });
  }

  #connect(): void {
    if (this.#closed) return;
    this.#serverSymbols = undefined;
    let failure: SignalClientError | undefined;
    let retryAfterMs = 0;
    let openedAt = 0;
    const ws: DaemonSocket = this.#platform.openDaemonSocket(this.#url, this.#key, {
      refused: (code, retryMs) => {
        retryAfterMs = retryMs;
        failure =
          code === 401 ? new SignalClientError('UNAUTHORIZED', `the daemon at ${this.#url} refused the key (HTTP 401): unknown, revoked or expired`, { context: { status: code } })
          : code === 403 ? new SignalClientError('FORBIDDEN', `the daemon at ${this.#url} refused the key (HTTP 403)`, { context: { status: code } })
          : code === 429 ? new SignalClientError('RATE_LIMITED', `the key's hourly limit is reached (HTTP 429); retrying after ${retryAfterMs / 1000} s`, { retryable: true, context: { status: code } })
          : new SignalClientError('HTTP_ERROR', `the daemon at ${this.#url} answered the upgrade with HTTP ${code}`, { retryable: true, context: { status: code } });
      },
      error: (message, cause) => {
        failure ??= new SignalClientError('CONNECT_FAILED', `cannot connect to ${this.#url}: ${message}`, { retryable: true, cause });
      },
      open: () => {
        openedAt = Date.now();
        this.#touch(ws);
        this.#subscribe(ws);
        const since = this.#resumePoint();
        this.setStatus({ status: 'open', ...(since !== undefined ? { since } : {}) });
      },
      ping: () => this.#touch(ws),
      binary: () => {
        this.#touch(ws);
        this.emitError(new SignalClientError('BAD_FRAME', 'the server sent a binary frame; ignored'));
      },
      message: (text) => {
        this.#touch(ws);
        this.#onFrame(text);
      },
      close: (code, reason) => this.#onClose(ws, code, reason, openedAt, failure, retryAfterMs),
    });
    this.#ws = ws;
  }

  #onClose(ws: DaemonSocket, code: number, reason: string, openedAt: number, failed: SignalClientError | undefined, retryAfterMs: number): void {
    clearTimeout(this.#staleTimer);
    if (this.#ws === ws) this.#ws = null;
    if (this.#closed) return;
    let failure = failed;
    if (openedAt > 0) {
      failure ??= new SignalClientError('CONNECTION_LOST', `the connection closed (code ${code}${reason.length ? `: ${reason}` : ''})`, {
        retryable: true,
        context: { closeCode: code },
      });
      if (Date.now() - openedAt >= HEALTHY_AFTER_MS) this.#backoff.reset();
    }
    if (failure?.fatal) {
      this.#closed = true;
      this.#closing = Promise.resolve();
      this.setStatus({ status: 'closed', error: failure });
      return;
    }
    const delayMs = Math.max(this.#backoff.next(), retryAfterMs);
    this.setStatus({ status: 'reconnecting', attempt: this.#backoff.attempt, delayMs, ...(failure ? { error: failure } : {}) });
    this.#retryTimer = setTimeout(() => this.#connect(), delayMs);
  }

  /** Where a new subscription starts: after the last delivered signal, else the caller's since. */
  #resumePoint(): string | undefined {
    return this.lastSignalId ?? this.#since;
  }

  #subscribe(ws: DaemonSocket): void {
    const symbols = this.listeners.symbols();
    const since = this.#resumePoint();
    // symbols [] still makes the connection live, so model and drift messages arrive.
    this.#send(ws, { type: 'subscribe', symbols: symbols ?? ['*'], ...(since !== undefined ? { since } : {}) });
    this.#serverSymbols = symbols;
  }

  /** Sends the difference between what the listeners want and what the server filters on. */
  #syncSymbols(): void {
    const ws = this.#ws;
    const have = this.#serverSymbols;
    if (!ws || !ws.isOpen || have === undefined) return; // the next subscribe carries it
    const want = this.listeners.symbols();
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

  #send(ws: DaemonSocket, msg: Record<string, unknown>): void {
    ws.send(JSON.stringify(msg));
  }

  /** Any sign of life restarts the stale-connection timer (where pings are visible). */
  #touch(ws: DaemonSocket): void {
    if (!this.#platform.seesPings) return;
    clearTimeout(this.#staleTimer);
    this.#staleTimer = setTimeout(() => {
      if (this.#ws !== ws) return;
      this.emitError(new SignalClientError('STALE_CONNECTION', `nothing from the server for ${this.#staleAfterMs} ms; reconnecting`, { retryable: true }));
      ws.terminate();
    }, this.#staleAfterMs);
    (this.#staleTimer as { unref?: () => void }).unref?.();
  }

  #onFrame(text: string): void {
    const parsed = parseServerFrame(text);
    if ('invalid' in parsed) {
      this.emitError(new SignalClientError('BAD_FRAME', `ignored a malformed server frame: ${parsed.invalid}`));
      return;
    }
    const frame: ServerFrame | null = parsed.frame;
    if (!frame) return;
    switch (frame.type) {
      case 'signal':
        this.deliverSignal(frame.data); // a duplicate (a resume overlapped) is dropped
        return;
      case 'outcome':
        this.deliverOutcome(frame.data);
        return;
      case 'model':
        this.deliverUpdate('model', frame.data);
        if (frame.data.new_weights !== undefined || frame.data.weights !== undefined) this.deliverUpdate<WeightUpdate>('weights', frame.data);
        return;
      case 'weights':
      case 'drift':
        this.deliverUpdate(frame.type, frame.data);
        return;
      case 'error':
        this.emitError(new SignalClientError(frame.code, `the server reported ${frame.code}: ${frame.message}`));
        return;
    }
  }
}
