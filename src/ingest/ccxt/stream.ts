/**
 * A ccxt exchange with a websocket API as a live venue (ingest/live/venue.ts): the live base does
 * reconnecting with backoff, resync and gap backfill, dedupe, late-candle rejection and ticks; this
 * file gives it a session over ccxt.pro's `watchOHLCVForSymbols` (or `watchOHLCV` per symbol where
 * the exchange lacks the batch form) and the REST range from `fetchOHLCV` (rate limiter on).
 *
 * When a candle is closed. ccxt hands over candle updates (the changed tail of its cache by open
 * time, each row the whole candle so far), never a "closed" flag. A session hands a candle to the
 * base once a later candle of its series has arrived: the exchange has then moved on, and the
 * candle's last update is its final one. The candle still forming is never handed over. A candle whose close time
 * has passed with no successor (a quiet market, a lost frame) is not taken from the cache, whose
 * last update may predate the close: a sweep at each candle close (+ `sweepDelayMs`) asks the base
 * to resync, which takes it from REST, closed by the exchange's own answer.
 *
 * A session ends (the base then reconnects) when a watch call fails (ccxt's NetworkError when the
 * socket drops, its keep-alive timeout), or when no update arrived for `heartbeatMs` (a stalled
 * connection). Every session starts with an empty cache, so nothing a previous connection saw is
 * taken for closed.
 */
import type { Clock } from '../../domain/clock.ts';
import { timeframeMs, type Timeframe } from '../../domain/timeframe.ts';
import { backoffDelay, sleep, type StepBackoff } from '../../domain/timing.ts';
import { FeedConnectError, type CloseCause, type LiveSession, type LiveVenue, type ParsedFrame, type RangeRequest, type SessionRequest, type WireKline } from '../live/venue.ts';
import { classify, fetchCandleRows, type CcxtModule, type Exchange } from './exchange.ts';

/** Symbols per watchOHLCVForSymbols call (one SUBSCRIBE message each; Binance's limit is 200 params). */
const SYMBOLS_PER_WATCH = 200;

export interface CcxtStreamOptions {
  ex: Exchange;
  ccxt: CcxtModule;
  mode: 'batch' | 'per_symbol';
  pageLimit: number;
  clock: Clock;
  /** After each candle close, when to resync the series the websocket did not close. Default 12 s (past the base's 10 s future tolerance). */
  sweepDelayMs?: number;
  restAttempts?: number;
  restBackoff: StepBackoff;
}

export class CcxtStreamVenue implements LiveVenue {
  readonly name = 'ccxt';
  readonly title: string;

  constructor(private readonly o: CcxtStreamOptions) {
    this.title = `ccxt:${o.ex.id}`;
  }

  /** ccxt speaks unified symbols (`BTC/USDT`) on both sides. */
  exchangeSymbol(symbol: string): string {
    return symbol;
  }

  async open(req: SessionRequest, signal: AbortSignal): Promise<LiveSession> {
    const session = new CcxtSession(this.o, req);
    const onAbort = () => session.terminate('local');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await session.firstUpdate(req.connectTimeoutMs + req.subscribeTimeoutMs);
    } catch (err) {
      session.terminate('error');
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return session;
  }

  parseFrame(value: unknown): ParsedFrame {
    const k = value as Partial<WireKline> | null;
    if (!k || typeof k !== 'object' || typeof k.exchangeSymbol !== 'string' || typeof k.openTime !== 'number') return { kind: 'malformed', message: 'not a candle', values: value };
    return { kind: 'kline', kline: k as WireKline };
  }

  async fetchRange(req: RangeRequest, onPage: (rows: ParsedFrame[]) => Promise<void>): Promise<void> {
    const tf = timeframeMs(req.timeframe);
    const attempts = this.o.restAttempts ?? 5;
    for (let from = req.from; from <= req.to && !req.signal.aborted; ) {
      const limit = Math.min(this.o.pageLimit, Math.round((req.to - from) / tf) + 1);
      let rows: WireKline[] | undefined;
      for (let attempt = 0; rows === undefined; attempt++) {
        try {
          rows = (await fetchCandleRows(this.o.ex, this.o.ccxt, req.exchangeSymbol, req.timeframe, from, limit)).map((r) => toKline(req.exchangeSymbol, req.timeframe, tf, r));
        } catch (err) {
          const retryable = (err as { retryable?: boolean }).retryable ?? true;
          if (req.signal.aborted || !retryable || attempt + 1 >= attempts) throw err;
          req.onRetry(err, attempt);
          await sleep(backoffDelay(attempt, this.o.restBackoff), req.signal);
        }
      }
      if (rows.length === 0) return;
      await onPage(rows.map((kline) => ({ kind: 'kline', kline })));
      const next = rows[rows.length - 1]!.openTime + tf;
      if (next <= from || rows.length < limit) return;
      from = next;
    }
  }
}

function toKline(symbol: string, timeframe: Timeframe, tf: number, r: { openTime: number; open: number; high: number; low: number; close: number; volume: number }): WireKline {
  return { exchangeSymbol: symbol, interval: timeframe, closeTime: r.openTime + tf - 1, closed: true, ...r };
}

class CcxtSession implements LiveSession {
  readonly closed: Promise<{ cause: CloseCause; detail: string }>;
  private resolveClosed!: (v: { cause: CloseCause; detail: string }) => void;
  private readonly abort = new AbortController();
  private readonly tf: number;
  /** The newest update of the candle forming, per symbol, in this session. */
  private readonly forming = new Map<string, number[]>();
  private lastUpdateAt = Date.now();
  private ended = false;
  private streaming = false;
  /** Groups that have not sent their first update yet: open() waits for all (their subscriptions are live), or a subscribe timeout after the first. */
  private groupsToHear = 0;
  private graceTimer: NodeJS.Timeout | undefined;
  private first!: { resolve: () => void; reject: (e: Error) => void; promise: Promise<void> };
  private readonly stale: NodeJS.Timeout;

  constructor(
    private readonly o: CcxtStreamOptions,
    private readonly req: SessionRequest,
  ) {
    this.tf = timeframeMs(req.timeframe);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    let resolve!: () => void;
    let reject!: (e: Error) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    this.first = { resolve, reject, promise };
    // A fresh cache: nothing a previous connection saw is taken for closed.
    o.ex.ohlcvs = {};
    this.stale = setInterval(() => {
      // Until the first update, open()'s connect and subscribe timeouts decide.
      if (!this.streaming || Date.now() - this.lastUpdateAt <= req.heartbeatMs) return;
      req.log.warn({ heartbeatMs: req.heartbeatMs }, 'ccxt websocket stale: no candle update within one heartbeat; reconnecting');
      this.terminate('stale', `no update for ${req.heartbeatMs} ms`);
    }, Math.max(50, Math.floor(req.heartbeatMs / 4)));
    this.stale.unref();
    const groups = o.mode === 'batch' ? chunk(req.symbols, SYMBOLS_PER_WATCH) : req.symbols.map((x) => [x]);
    this.groupsToHear = groups.length;
    for (const group of groups) {
      const watch =
        o.mode === 'batch'
          ? () => o.ex.watchOHLCVForSymbols!(group.map((x) => [x, req.timeframe]))
          : async () => ({ [group[0]!]: { [req.timeframe]: await o.ex.watchOHLCV!(group[0]!, req.timeframe) } });
      void this.watchLoop(group, watch);
    }
    void this.sweepLoop();
  }

  firstUpdate(timeoutMs: number): Promise<void> {
    const timer = setTimeout(() => this.first.reject(new FeedConnectError(`no candle update from ccxt:${this.o.ex.id} within ${timeoutMs} ms`)), timeoutMs);
    return this.first.promise.finally(() => clearTimeout(timer));
  }

  terminate(cause: CloseCause = 'local', detail = ''): void {
    if (this.ended) return;
    this.ended = true;
    this.abort.abort();
    clearInterval(this.stale);
    clearTimeout(this.graceTimer);
    this.first.reject(new FeedConnectError(`ccxt:${this.o.ex.id} session ended (${cause}) ${detail}`.trim()));
    void Promise.resolve(this.o.ex.close?.())
      .catch(() => undefined)
      .finally(() => this.resolveClosed({ cause, detail }));
  }

  /**
   * One watch call resolves with one symbol's updates, and an update that arrives before the next
   * call resolves nothing (ccxt's futures): so every wake-up reads the whole group from ccxt's cache.
   */
  private async watchLoop(group: readonly string[], watch: () => Promise<Record<string, Record<string, number[][]>>>): Promise<void> {
    let heard = false;
    while (!this.ended) {
      let update: Record<string, Record<string, number[][]>>;
      try {
        update = await watch();
      } catch (err) {
        if (this.ended) return;
        const e = classify(err, this.o.ccxt, `ccxt:${this.o.ex.id} watch`);
        this.first.reject(new FeedConnectError(e.message, err));
        this.terminate('error', e.message);
        return;
      }
      if (this.ended) return;
      this.lastUpdateAt = Date.now();
      if (!heard) {
        heard = true;
        this.groupHeard();
      }
      for (const symbol of group) this.handOver(symbol, this.o.ex.ohlcvs?.[symbol]?.[this.req.timeframe] ?? update[symbol]?.[this.req.timeframe] ?? []);
    }
  }

  private groupHeard(): void {
    const open = () => {
      clearTimeout(this.graceTimer);
      this.streaming = true;
      this.first.resolve();
    };
    if (--this.groupsToHear <= 0) open();
    else this.graceTimer ??= setTimeout(open, this.req.subscribeTimeoutMs).unref();
  }

  /**
   * Follows one series in ccxt's cache (rows by open time, each the whole candle so far, updated in
   * place): a row with a later open time than the candle forming closes that candle, which is
   * handed over with its last update. Only the tail from the candle forming on is read; a late row
   * of an older candle is ignored (it was handed over already, or comes from REST).
   */
  private handOver(symbol: string, rows: ArrayLike<number[]>): void {
    let forming = this.forming.get(symbol);
    let i = rows.length;
    while (i > 0 && (!forming || rows[i - 1]![0]! >= forming[0]!)) i--;
    for (; i < rows.length; i++) {
      const row = rows[i]!;
      if (forming && row[0]! <= forming[0]!) {
        if (row[0] === forming[0]) forming = row;
        continue;
      }
      if (forming) {
        const [t, open, high, low, close, volume] = forming;
        this.req.onFrame({ ok: true, value: toKline(symbol, this.req.timeframe, this.tf, { openTime: t!, open: open!, high: high!, low: low!, close: close!, volume: volume ?? 0 }) });
      }
      forming = row;
    }
    if (forming) this.forming.set(symbol, forming);
  }

  /** At every close (+ the delay), the base resyncs: whatever the websocket did not close comes from REST. */
  private async sweepLoop(): Promise<void> {
    const delay = this.o.sweepDelayMs ?? 12_000;
    const signal = this.abort.signal;
    while (!signal.aborted) {
      const now = this.o.clock.now();
      const at = Math.floor((now - delay) / this.tf) * this.tf + this.tf + delay;
      await (this.o.clock.sleepUntil ? this.o.clock.sleepUntil(at, signal) : sleep(at - now, signal)).catch(() => undefined);
      if (signal.aborted) return;
      this.req.requestResync?.();
    }
  }
}

function chunk<T>(xs: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += n) out.push(xs.slice(i, i + n));
  return out;
}
