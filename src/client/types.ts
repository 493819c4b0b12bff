/**
 * What a consumer of signalbase sees: the wire shapes of the stream (DESIGN.md "Signal",
 * "Websocket stream") and the client's API. The Signal type is the daemon's own (type-only import,
 * no engine code is loaded), so the two cannot drift apart.
 */
import type { Signal } from '../domain/signal.ts';
import type { OutcomeMessage } from '../signals/resolution.ts';
import type { SignalClientError } from './errors.ts';

// The wire shape is declared once, beside the code that builds it (src/domain/signal.ts); these
// are type-only imports, so the client still loads no engine code.
export type { Signal };
export type { Direction } from '../domain/prediction.ts';

/** A `model` message: a model trained, activated or rolled back (`event` says which). */
export interface ModelUpdate {
  event?: string;
  version?: string;
  [field: string]: unknown;
}

/** A weight change: `new_weights` per indicator when the message carries them. */
export interface WeightUpdate {
  version?: string;
  new_weights?: Record<string, number>;
  [field: string]: unknown;
}

/**
 * A signal's outcome (TP_HIT, SL_HIT, EXPIRED; NO_TRADE for a HOLD), delivered once per signal:
 * the daemon's outcome message (src/signals/resolution.ts OutcomeMessage, a type-only import like
 * Signal's). Over Supabase it is made from the resolved ml_predictions row, which holds the fields
 * named here (exit price, P/L and time null where the row has none); the daemon's stream adds the
 * rest (correct, bars_held, duration_minutes, max_profit_pct, max_loss_pct).
 */
export type SignalOutcome = Pick<OutcomeMessage, 'prediction_id' | 'symbol' | 'timeframe' | 'candle_time' | 'model_version' | 'predicted_direction' | 'outcome' | 'entry_price'> & {
  exit_price: number | null;
  profit_loss_pct: number | null;
  /** Open time of the candle that resolved it. */
  outcome_time: string | null;
  [field: string]: unknown;
};

/** A `drift` message: one drift check's result. */
export interface DriftUpdate {
  [field: string]: unknown;
}

/**
 * Connection state. `connecting`: the first attempt; `open`: subscribed and receiving;
 * `reconnecting`: waiting `delayMs` before attempt `attempt`; `closed`: close() was called or a
 * fatal error (bad key) ended the client; `error` on the event says which.
 */
export type ClientStatus = 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface StatusEvent {
  status: ClientStatus;
  /** Reconnect attempt number (1 for the first retry). */
  attempt?: number;
  /** Wait before that attempt. */
  delayMs?: number;
  /** Why the connection ended (or what the server reported). */
  error?: SignalClientError;
  /** The `since` sent with this subscription (resume point), when any. */
  since?: string;
}

/** A handle from a subscribe call; pass it to unsubscribe(). */
export interface Subscription {
  readonly kind: 'predictions' | 'outcomes' | 'model' | 'weights' | 'drift' | 'status' | 'error';
  /** For predictions and outcomes: the symbol, or '*'. */
  readonly symbol?: string;
}

export interface SignalClient {
  readonly status: ClientStatus;
  /** The id of the last signal delivered: where a reconnect resumes (`since`). */
  readonly lastSignalId: string | null;
  /**
   * Over Supabase: which Realtime feed carries signals and outcomes ('broadcast' once the private
   * signal channels joined, 'postgres_changes' after the fallback), null before the first join.
   * Always null over the daemon transport.
   */
  readonly realtimeMode: 'broadcast' | 'postgres_changes' | null;
  /** Signals of one symbol ('LTC/BTC'), or of every symbol ('*'). */
  subscribeToPredictions(symbol: string, cb: (signal: Signal) => void): Subscription;
  /**
   * Outcomes of the signals of one symbol, or of every symbol ('*'), each once. An outcome
   * subscription also makes the stream carry that symbol.
   */
  subscribeToOutcomes(symbol: string, cb: (outcome: SignalOutcome) => void): Subscription;
  subscribeToModelUpdates(cb: (update: ModelUpdate) => void): Subscription;
  /**
   * Indicator weight changes. The daemon transport calls it for `model` messages that carry
   * `new_weights` (or `weights`) and for `weights` messages. Today's daemon sends neither (its
   * model messages name the version only; weights change with each training), so over the daemon
   * transport this never fires yet; use subscribeToModelUpdates and GET /v1/indicators/:symbol.
   * Over Supabase it fires for every inserted or updated ml_indicator_weights row, with
   * `new_weights` = { [indicator_name]: current_weight }.
   */
  subscribeToWeightUpdates(cb: (update: WeightUpdate) => void): Subscription;
  subscribeToDrift(cb: (update: DriftUpdate) => void): Subscription;
  /** Connection state changes (connecting, open, reconnecting with the delay, closed). */
  onStatus(cb: (event: StatusEvent) => void): Subscription;
  /** Errors the server reports (e.g. RESUME_GAP, UNKNOWN_SINCE), failed catch-ups and callbacks that threw. */
  onError(cb: (err: SignalClientError) => void): Subscription;
  /**
   * Removes one subscription (a handle), every prediction subscription of a symbol (a string), or
   * everything (no argument). The stream subscription follows: symbols nobody listens to any more
   * are unsubscribed at the server.
   */
  unsubscribe(target?: Subscription | string): void;
  /** Closes the connection and stops reconnecting. Idempotent. */
  close(): Promise<void>;
}

export interface BackoffOptions {
  /** First retry delay. Default 1000 ms. */
  initialMs?: number;
  /** Cap. Default 10000 ms. */
  maxMs?: number;
}

export interface DaemonTransportOptions {
  transport: 'daemon';
  /** ws://host:port/v1/stream */
  url: string;
  /**
   * An API key of any type; sent as `Authorization: Bearer KEY` (in Node) or as `?key=KEY` (in a
   * browser, whose WebSocket cannot set headers; the daemon accepts both).
   */
  key: string;
  /** Start from here: a signal id or an ISO 8601 time; stored signals after it are replayed first. */
  since?: string;
  backoff?: BackoffOptions;
  /**
   * No frame and no ping from the server for this long: the connection is presumed dead and
   * replaced. Default 75000 ms (the daemon pings every 30 s). Node only: a browser answers pings
   * itself without telling the page, so there the browser's own socket timeout applies.
   */
  staleAfterMs?: number;
  /** Ids remembered to drop duplicates across reconnects. Default 10000. */
  dedupeWindow?: number;
}

/**
 * Supabase Realtime transport: the same API through realtime-js (reconnect 1 s, 2 s, 5 s, 10 s;
 * heartbeat 25 s; channels rejoin after a reconnect). Signals and outcomes come from the private
 * Broadcast topics signals:<BASE>_<QUOTE> / signals:all (sql/20261204001100_broadcast.sql) when the
 * project has them, else from postgres_changes on ml_predictions (INSERT, and UPDATE for outcomes);
 * models, weights and drift from postgres_changes on ml_models, ml_indicator_weights, ml_model_drift.
 * Realtime has no replay, so after every (re)join the client reads ml_predictions over REST
 * (PostgREST, /rest/v1 under the project URL) from the last candle it saw and delivers what it
 * missed before continuing live: no gap, and no duplicate (ids are remembered).
 */
export interface SupabaseTransportOptions {
  transport: 'supabase';
  /** The project URL, https://<ref>.supabase.co (Realtime is at /realtime/v1 under it). */
  supabaseUrl: string;
  /**
   * The anon (publishable) or service-role key; sent as `apikey`. Realtime applies RLS to
   * postgres_changes (sql/20261122000600_rls.sql): on the anon key alone only active-model and
   * weight changes arrive; signals and drift need `accessToken` or the service-role key (servers only).
   */
  supabaseKey: string;
  /** A signed-in user's JWT (role `authenticated`: reads signals and drift); defaults to the key, as supabase-js does. */
  accessToken?: string;
  /** The schema holding the ml_* tables (SIGNALBASE_SCHEMA). Default 'public'. */
  schema?: string;
  /** Reconnect delays by attempt; the last repeats. Default realtime-js's [1000, 2000, 5000, 10000]. */
  reconnectDelaysMs?: readonly number[];
  /** Heartbeat interval; a heartbeat unanswered for one interval drops the socket. Default 25000. */
  heartbeatIntervalMs?: number;
  /** Join and push timeout. Default 10000. */
  timeoutMs?: number;
  /** Phoenix serializer: '2.0.0' (JSON arrays, realtime-js's default) or '1.0.0' (JSON objects). */
  vsn?: '1.0.0' | '2.0.0';
  /** Ids remembered to drop a signal delivered on two channels (a symbol's and '*'). Default 10000. */
  dedupeWindow?: number;
  /**
   * 'auto' (default): join the private Broadcast topics, and use postgres_changes if the project
   * refuses them (no broadcast migration, or a role the policies exclude). Or force one.
   */
  realtime?: 'auto' | 'broadcast' | 'postgres_changes';
  /** Read missed signals over REST after each (re)join. Default true. */
  catchUp?: boolean;
  /**
   * The catch-up reads from this long before the last candle seen (a shard or an outbox can write
   * an older candle late); what was delivered already is dropped by id. Default 600000 (10 min).
   */
  catchUpLookbackMs?: number;
  /** Start from here (ISO 8601 time): signals with a later candle are read first. */
  since?: string;
  /** The fetch used for catch-up reads. Default globalThis.fetch. */
  fetch?: typeof fetch;
}

export type SignalClientOptions = DaemonTransportOptions | SupabaseTransportOptions;
