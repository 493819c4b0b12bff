/**
 * Liveness from OANDA's pricing stream (GET /v3/accounts/{accountID}/pricing/stream): a chunked
 * body of one JSON object a line, `{"type":"PRICE",...}` on every price change and
 * `{"type":"HEARTBEAT","time":...}` every 5 seconds whatever the market does. Heartbeats keep
 * coming over a weekend, so silence means a dead connection, not a quiet market: after
 * `timeoutMs` with no line the connection is dropped and opened again with backoff, and the feed
 * reports itself `reconnecting` until lines flow again.
 */
import type { Logger } from '../../log.ts';
import type { Clock } from '../../domain/clock.ts';
import { DEFAULT_BACKOFF, backoffDelay, sleep, type StepBackoff } from '../../domain/timing.ts';
import type { Liveness } from '../polled/polled-source.ts';
import { instrumentOf } from './instruments.ts';

export interface HeartbeatOptions {
  streamBase: string;
  accountId: string;
  headers: Record<string, string>;
  symbols: readonly string[];
  /** No line for this long: the connection is dead. Default 20 s (OANDA beats every 5 s). */
  timeoutMs?: number;
  backoff?: StepBackoff;
  log: Logger;
  clock: Clock;
  fetchImpl?: typeof fetch;
}

/** Heartbeats with no tradeable price for this long mark the market as shut (a holiday). */
const QUIET_MS = 60_000;
const MAX_SPANS = 64;

export class PricingHeartbeat implements Liveness {
  #alive = false;
  readonly #listeners: ((alive: boolean) => void)[] = [];
  heartbeats = 0;
  /** Spans [from, to] in which heartbeats came but no tradeable price: the market was shut. */
  readonly #quiet: [number, number][] = [];
  #lastTradeable: number | undefined;
  #quietFrom: number | undefined;

  constructor(private readonly opts: HeartbeatOptions) {}

  get alive(): boolean {
    return this.#alive;
  }

  onChange(listener: (alive: boolean) => void): void {
    this.#listeners.push(listener);
  }

  start(signal: AbortSignal): void {
    void this.#loop(signal);
  }

  /** True when the stream was up and saw no tradeable price throughout [from, to). */
  quietThroughout(from: number, to: number): boolean {
    if (this.#quietFrom !== undefined && this.#quietFrom <= from) return true;
    return this.#quiet.some(([a, b]) => a <= from && b >= to);
  }

  #line(line: string): void {
    const now = this.opts.clock.now();
    if (line.includes('"HEARTBEAT"')) {
      this.heartbeats++;
      if (this.#quietFrom === undefined && this.#lastTradeable !== undefined && now - this.#lastTradeable >= QUIET_MS) this.#quietFrom = this.#lastTradeable;
      return;
    }
    if (/"tradeable"\s*:\s*true/.test(line)) {
      if (this.#quietFrom !== undefined) {
        this.#quiet.push([this.#quietFrom, now]);
        if (this.#quiet.length > MAX_SPANS) this.#quiet.shift();
        this.#quietFrom = undefined;
      }
      this.#lastTradeable = now;
    }
  }

  #set(alive: boolean): void {
    if (!alive) {
      // What happened while we were not listening is unknown: a quiet span ends here.
      if (this.#quietFrom !== undefined) this.#quiet.push([this.#quietFrom, this.opts.clock.now()]);
      this.#quietFrom = undefined;
      this.#lastTradeable = undefined;
    }
    if (alive === this.#alive) return;
    this.#alive = alive;
    for (const l of this.#listeners) l(alive);
  }

  async #loop(signal: AbortSignal): Promise<void> {
    const q = new URLSearchParams({ instruments: this.opts.symbols.map(instrumentOf).join(',') });
    const url = `${this.opts.streamBase.replace(/\/+$/, '')}/v3/accounts/${encodeURIComponent(this.opts.accountId)}/pricing/stream?${q}`;
    for (let attempt = 0; !signal.aborted; ) {
      const conn = new AbortController();
      const onAbort = () => conn.abort();
      signal.addEventListener('abort', onAbort, { once: true });
      try {
        const res = await (this.opts.fetchImpl ?? fetch)(url, { headers: this.opts.headers, signal: conn.signal });
        if (!res.ok || !res.body) throw new Error(`pricing stream answered ${res.status}`);
        attempt = await this.#read(res.body, conn, attempt);
      } catch (err) {
        if (signal.aborted) break;
        this.opts.log.debug({ err }, 'pricing stream ended');
      } finally {
        signal.removeEventListener('abort', onAbort);
        conn.abort();
        this.#set(false);
      }
      await sleep(backoffDelay(attempt++, this.opts.backoff ?? DEFAULT_BACKOFF), signal);
    }
  }

  /** Reads lines until the stream ends or goes silent; returns the next backoff attempt number. */
  async #read(body: ReadableStream<Uint8Array>, conn: AbortController, attempt: number): Promise<number> {
    const timeout = this.opts.timeoutMs ?? 20_000;
    let timer = setTimeout(() => conn.abort(), timeout);
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of body) {
        buf += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          clearTimeout(timer);
          timer = setTimeout(() => conn.abort(), timeout);
          this.#set(true);
          this.#line(line);
          attempt = 0;
        }
        if (buf.length > 1 << 20) buf = ''; // a line that never ends is not OANDA's
      }
    } finally {
      clearTimeout(timer);
    }
    return attempt;
  }
}
