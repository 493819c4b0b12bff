/**
 * What an exchange adapter gives the live-feed base (source.ts): a session that delivers the
 * venue's frames, a parser from a frame to a kline, the REST range of klines for gap backfill, and
 * its symbol spelling. Everything else (reconnecting with backoff, resubscribing, resync and gap
 * backfill, validation, dropping at the bounded queue, grouping candles into ticks, status and
 * metrics) is the base's, the same for every venue.
 *
 * A session can be a websocket (ws-connection.ts: ping heartbeat, acknowledged subscriptions), a
 * long-lived HTTP stream with heartbeat lines (the session's frames then include its heartbeats,
 * which the parser answers with `ignore`), or a REST poll (the session polls on a timer and hands
 * each closed candle over as a frame; `closed` resolves when a poll keeps failing).
 */
import { SignalbaseError } from '../../domain/errors.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import type { Logger } from '../../log.ts';

/** A kline from a stream frame or a REST row, before symbol mapping and the candle rules. */
export interface WireKline {
  exchangeSymbol: string;
  /** In our spelling (`5m`, domain/timeframe.ts); an adapter translates its venue's. */
  interval: string;
  openTime: number;
  /** openTime + timeframe − 1 ms (Binance's convention; a venue without one gets it computed). */
  closeTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** False for an update of the candle still forming (the base ignores those). */
  closed: boolean;
}

export type ParsedFrame =
  | { kind: 'kline'; kline: WireKline }
  /** A frame that carries no candle (a heartbeat, a status line): not counted as a rejection. */
  | { kind: 'ignore' }
  | { kind: 'malformed'; message: string; values: unknown };

/** A decoded frame, or the raw text when it was not JSON. */
export type IncomingFrame = { ok: true; value: unknown } | { ok: false; text: string; error: string };

export type CloseCause = 'remote_close' | 'stale' | 'error' | 'local';

/** One connection's life: it ends once (`closed`, with why); reconnecting is the base's job. */
export interface LiveSession {
  readonly closed: Promise<{ cause: CloseCause; detail: string }>;
  /** Ends the session now. Idempotent. */
  terminate(cause?: CloseCause): void;
}

export interface SessionRequest {
  symbols: readonly string[];
  timeframe: Timeframe;
  heartbeatMs: number;
  connectTimeoutMs: number;
  subscribeTimeoutMs: number;
  onFrame: (frame: IncomingFrame) => void;
  /**
   * Asks the base to backfill every series from its last candle to the last surely closed one (a
   * session whose stream cannot say a candle closed, ccxt's, asks at each candle close).
   */
  requestResync?: () => void;
  log: Logger;
}

export interface RangeRequest {
  exchangeSymbol: string;
  timeframe: Timeframe;
  /** Inclusive open-time bounds (ms). */
  from: number;
  to: number;
  signal: AbortSignal;
  /** Called before each retry of a failed page (metrics, logs). */
  onRetry: (err: unknown, attempt: number) => void;
}

export interface LiveVenue {
  /** Metric and log label: `binance`. */
  readonly name: string;
  /** For messages: `Binance`. */
  readonly title: string;
  /** `LTC/BTC` as the venue spells it (`LTCBTC`). */
  exchangeSymbol(symbol: string): string;
  /**
   * Opens a session subscribed to every symbol; resolves once frames flow. Rejects with
   * FeedConnectError (could not connect) or FeedSubscribeError (the venue refused the subscription).
   */
  open(req: SessionRequest, signal: AbortSignal): Promise<LiveSession>;
  /** One decoded frame of the session. */
  parseFrame(value: unknown): ParsedFrame;
  /**
   * Every kline the venue has for the range, oldest first, page by page through `onPage` (a late
   * failure loses nothing already fetched). Throws when a page keeps failing.
   */
  fetchRange(req: RangeRequest, onPage: (rows: ParsedFrame[]) => Promise<void>): Promise<void>;
}

export class FeedConnectError extends SignalbaseError {
  constructor(message: string, cause?: unknown) {
    super('FEED_CONNECT_FAILED', message, { retryable: true, cause });
  }
}

/** The venue answered a subscription with an error, or not at all. Retryable: try on a new connection. */
export class FeedSubscribeError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('FEED_SUBSCRIBE_FAILED', message, { retryable: true, context });
  }
}
