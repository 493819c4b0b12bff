/**
 * The narrow ports the HTTP API and the websocket stream depend on. The daemon wires real
 * implementations (the Store, the pipeline, the retrain queue); tests wire small in-memory ones.
 * Nothing in src/serve/ imports the daemon, the store adapters or the model.
 */
import type { ScorecardQuery, ScorecardRow } from '../store/queries/quality.ts';
import type { Registry } from 'prom-client';
import type { Candle } from '../domain/candle.ts';
import type { Clock } from '../domain/clock.ts';
import type { PredictionRecord } from '../domain/prediction.ts';
import type { Signal } from '../domain/signal.ts';
import type { Logger } from '../log.ts';
import type { ApiKeyType, ApiKeyValidation, PredictionQuery } from '../store/types.ts';
import type { DashboardViews } from './dashboard-routes.ts';
import type { FailureThrottleOptions } from './failure-throttle.ts';
import type { KeyUsage } from './key-usage.ts';

type MaybePromise<T> = T | Promise<T>;

/** The store's validateApiKey. */
export interface KeyValidator {
  validate(key: string): Promise<ApiKeyValidation>;
}

/** Stored signals, read back in stream order (the store's readPredictions / getPrediction). */
export interface SignalHistory {
  readAfter(q: PredictionQuery): Promise<PredictionRecord[]>;
  get(id: string): Promise<PredictionRecord | null>;
}

/** Who asked for a prediction: recorded on the API row (DESIGN.md "Access and integrity"). */
export interface PredictCaller {
  /** The key that made the call (null: no key id, e.g. an in-memory validator). */
  keyId: string | null;
  /** The user the key's holder (e.g. the ml-predict Edge Function) says it calls for: a uuid, or null. */
  requestedBy: string | null;
}

/** One candle in a POST /v1/predict body, normalised; the daemon validates it against the symbol. */
export type ApiCandle = Omit<Candle, 'symbol' | 'timeframe'>;

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

export interface ApiDeps {
  keys: KeyValidator;
  /** Hourly limits counted in the store (serve/key-usage.ts); absent: counted in this process. */
  keyUsage?: KeyUsage;
  signals: SignalHistory;
  /**
   * A signal for `symbol` now, or computed over the given candles. May throw (see serve/errors.ts):
   * code UNKNOWN_SYMBOL → 404, NOT_READY → 503, INVALID_CANDLES / INVALID_INPUT → 400.
   */
  predict(symbol: string, candles: ApiCandle[] | undefined, caller: PredictCaller): Promise<Signal>;
  /** Files a retrain request (source 'api'). */
  retrain(force: boolean, reason: string | null): Promise<{ request_id: string }>;
  /** Latest raw indicators, weights, consensus score and technical summary; null when unknown. */
  indicators(symbol: string): MaybePromise<Record<string, unknown> | null>;
  /** The row of get_ml_dashboard_data(). */
  dashboard(): MaybePromise<Record<string, unknown>>;
  /** The live scorecard (GET /v1/scorecard); absent: the route is not served. */
  scorecard?(q: ScorecardQuery): Promise<ScorecardRow[]>;
  /** Runs one drift check now (POST /v1/drift/check); absent: 503. null when no model is active. */
  driftCheck?(): Promise<unknown>;
  readiness(): MaybePromise<Readiness>;
  /** Symbols the daemon tracks; resolves compact forms such as LTCBTC. Optional. */
  knownSymbols?(): readonly string[];
  registry: Registry;
  logger: Logger;
  clock?: Clock;
  /** Serve files from this directory at `/` (the dashboard); API routes take precedence. */
  staticDir?: string;
  /** The dashboard's read-only routes (serve/dashboard-routes.ts); absent without it. */
  dashboardViews?: DashboardViews;
  options?: Partial<ApiOptions>;
}

export interface ApiOptions {
  /** How long a valid key's validation is reused: a revoked key keeps working at most this long. */
  keyCacheValidTtlMs: number;
  /** How long an invalid key's rejection is reused (protects the store from key guessing). */
  keyCacheInvalidTtlMs: number;
  keyCacheMaxEntries: number;
  /** Keys tracked by the hourly rate limiter; the least recently used is evicted beyond this. */
  rateLimitMaxKeys: number;
  /** Keys that do not match are refused before the store; null lets the validator decide. */
  keyPattern: RegExp | null;
  /** Repeated key failures from one address → 429 TOO_MANY_FAILURES. */
  keyFailures: FailureThrottleOptions;
  predictBodyLimitBytes: number;
  retrainBodyLimitBytes: number;
  /** After a 413, the rest of the body is read and discarded up to this many bytes, then the socket is cut. */
  discardLimitBytes: number;
  /** stop(): how long clients and connections get to close before they are cut. */
  shutdownDeadlineMs: number;
  /** A request (websocket upgrades included) whose headers are not complete by then gets 408 and is closed. */
  headersTimeoutMs: number;
  /** Browsers' Origin values allowed to open the stream; null: any (non-browser clients send none and are always allowed). */
  streamAllowedOrigins: readonly string[] | null;
  /** Keys /metrics asks for (METRICS_AUTH): null, none (DESIGN.md's default); 'any' valid key; or these types. */
  metricsAuth: readonly ApiKeyType[] | 'any' | null;
  /** Reverse proxies whose X-Forwarded-For names the client for the failure throttle (TRUST_PROXY); null: none. */
  trustedProxies: readonly string[] | null;
  stream: Partial<StreamOptions>;
}

export interface StreamOptions {
  /** Recent signals kept in memory for `since` resume; must exceed the outbox's write lag. */
  ringSize: number;
  /** The server pings every this many ms; a client that has not ponged by the next ping is cut. */
  pingIntervalMs: number;
  /** A client whose unsent bytes pass this is closed (1013) as a slow consumer. */
  maxBufferedBytes: number;
  /** Live events queued for a client while it catches up; beyond this it is dropped. */
  maxPendingPerClient: number;
  /** Rows per store read during catch-up. */
  catchUpPageSize: number;
  maxClients: number;
  /** Sockets one key may hold (STREAM_MAX_SOCKETS_PER_KEY); beyond, the upgrade gets 429. */
  maxSocketsPerKey: number;
  /** Symbols this instance does not track that one socket may subscribe to (e.g. another shard's); beyond, an error frame. */
  maxUnknownSymbols: number;
  /** Largest client → server message; larger ones close the socket with 1009. */
  maxMessageBytes: number;
  /** Client → server messages allowed per second before they are refused with an error. */
  maxMessagesPerSecond: number;
  /** After closing a client (slow consumer, shutdown), how long before the socket is cut. */
  closeGraceMs: number;
  /** When a resume may have a gap (the store lags an evicted ring), re-read this many times... */
  gapRetries: number;
  /** ...this many ms apart, before reporting RESUME_GAP. */
  gapRetryMs: number;
}

/** Who is calling: the validated key, without the key itself. */
export interface Principal {
  keyId: string;
  keyName: string | null;
  keyType: 'stream' | 'prediction' | 'admin';
  rateLimit: number | null;
}
