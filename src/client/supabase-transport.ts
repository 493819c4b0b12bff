/**
 * The Supabase transport: the SignalClient API over Supabase Realtime postgres_changes, through
 * realtime-js (the RealtimeClient supabase-js re-exports, configured as supabase-js configures it:
 * `apikey` in the socket URL, the access token in every join).
 *
 * - One Realtime channel per listened thing: a symbol's predictions (INSERT on ml_predictions with
 *   filter `symbol=eq.<symbol>`), every symbol ('*', no filter), models (ml_models INSERT and
 *   UPDATE), weights (ml_indicator_weights INSERT and UPDATE), drift (ml_model_drift INSERT).
 *   Channels are made when the first listener arrives and left when the last one goes.
 * - realtime-js owns the connection: heartbeats, reconnect after 1 s, 2 s, 5 s, 10 s, rejoining
 *   every channel on the new socket. This class turns its callbacks into the client's typed status
 *   and errors. Realtime does not replay what was inserted while the socket was down.
 * - A key refused at the upgrade (HTTP 401/403) ends the client (status `closed` with UNAUTHORIZED
 *   or FORBIDDEN), as the daemon transport does; realtime-js alone would retry it forever.
 * - A signal arriving on both its symbol's channel and the '*' channel is delivered once (RecentIds).
 */
import { RealtimeClient, type RealtimeChannel, type RealtimePostgresChangesPayload } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { SignalClientError } from './errors.ts';
import { Listeners } from './listeners.ts';
import { RecentIds } from './recent-ids.ts';
import { BadRowError, driftRowToUpdate, modelRowToUpdate, predictionRowToSignal, weightRowToUpdate } from './supabase-rows.ts';
import { normalizeSymbol } from './daemon-transport.ts';
import type {
  ClientStatus,
  DriftUpdate,
  ModelUpdate,
  Signal,
  SignalClient,
  StatusEvent,
  Subscription,
  SupabaseTransportOptions,
  WeightUpdate,
} from './types.ts';

/** realtime-js's own reconnect steps (RealtimeClient RECONNECT_INTERVALS). */
const REALTIME_RECONNECT_MS = [1_000, 2_000, 5_000, 10_000] as const;

type Row = Record<string, unknown>;
type ChangeEvent = 'INSERT' | 'UPDATE';

/** What a channel listens to: its key names it among this client's channels. */
interface Feed {
  key: string;
  table: string;
  events: readonly ChangeEvent[];
  filter?: string;
  deliver: (type: ChangeEvent, row: Row) => void;
}

type UpdateKind = 'model' | 'weights' | 'drift';

/** The tables behind model, weight and drift updates, and their row mappings. */
const UPDATE_FEEDS: Record<UpdateKind, { table: string; events: readonly ChangeEvent[]; build: (type: ChangeEvent, row: Row) => ModelUpdate | WeightUpdate | DriftUpdate }> = {
  model: { table: 'ml_models', events: ['INSERT', 'UPDATE'], build: (type, row) => modelRowToUpdate(type, row) },
  weights: { table: 'ml_indicator_weights', events: ['INSERT', 'UPDATE'], build: (_type, row) => weightRowToUpdate(row) },
  drift: { table: 'ml_model_drift', events: ['INSERT'], build: (_type, row) => driftRowToUpdate(row) },
};

interface Joined {
  channel: RealtimeChannel;
  subscribed: boolean;
}

/** The Realtime socket URL supabase-js derives from the project URL: ws(s)://host/realtime/v1. */
export function realtimeUrl(supabaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(supabaseUrl);
  } catch {
    throw new SignalClientError('INVALID_OPTIONS', `supabaseUrl '${supabaseUrl}' is not a URL; expected https://<project-ref>.supabase.co`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SignalClientError('INVALID_OPTIONS', `supabaseUrl '${supabaseUrl}' must be http:// or https:// (the project URL, e.g. https://<ref>.supabase.co)`);
  }
  const rt = new URL('realtime/v1', url.href.endsWith('/') ? url.href : `${url.href}/`);
  rt.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return rt.href;
}

export class SupabaseSignalClient implements SignalClient {
  readonly #realtime: RealtimeClient;
  readonly #schema: string;
  readonly #listeners = new Listeners();
  readonly #recent: RecentIds;
  readonly #channels = new Map<string, Joined>();
  #status: ClientStatus = 'connecting';
  #lastId: string | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #topicSeq = 0;
  /** The HTTP status of the last refused upgrade, until the next socket opens. */
  #refusedWith: number | null = null;

  constructor(opts: SupabaseTransportOptions) {
    const endpoint = realtimeUrl(opts.supabaseUrl);
    if (!opts.supabaseKey || opts.supabaseKey.trim() === '') {
      throw new SignalClientError('INVALID_OPTIONS', 'supabaseKey is required (the project\'s anon or service-role key)');
    }
    const key = opts.supabaseKey.trim();
    const token = opts.accessToken?.trim() || key;
    const steps = opts.reconnectDelaysMs && opts.reconnectDelaysMs.length > 0 ? opts.reconnectDelaysMs : REALTIME_RECONNECT_MS;
    this.#schema = opts.schema ?? 'public';
    this.#recent = new RecentIds(opts.dedupeWindow ?? 10_000);
    this.#realtime = new RealtimeClient(endpoint, {
      params: { apikey: key },
      transport: refusalAwareWebSocket((status) => (this.#refusedWith = status)) as unknown as NonNullable<ConstructorParameters<typeof RealtimeClient>[1]>['transport'],
      vsn: opts.vsn ?? '2.0.0',
      ...(opts.heartbeatIntervalMs !== undefined ? { heartbeatIntervalMs: opts.heartbeatIntervalMs } : {}),
      ...(opts.timeoutMs !== undefined ? { timeout: opts.timeoutMs } : {}),
      // realtime-js asks for the delay when it schedules a reconnect: the moment the socket is lost.
      reconnectAfterMs: (tries: number) => {
        const delayMs = steps[Math.min(tries, steps.length) - 1]!;
        if (!this.#closed) this.#onSocketLost(tries, delayMs);
        return delayMs;
      },
      heartbeatCallback: (status) => {
        if (status === 'timeout' && !this.#closed) {
          this.#emitError(new SignalClientError('STALE_CONNECTION', 'a Realtime heartbeat went unanswered; reconnecting', { retryable: true }));
        }
      },
    });
    // Set before any join so the first phx_join already carries it (an accessToken callback would
    // resolve after the first join was queued). A fixed token: realtime-js keeps it across rejoins.
    void this.#realtime.setAuth(token);
  }

  get status(): ClientStatus {
    return this.#status;
  }

  get lastSignalId(): string | null {
    return this.#lastId;
  }

  subscribeToPredictions(symbol: string, cb: (signal: Signal) => void): Subscription {
    const s = normalizeSymbol(symbol);
    const handle = this.#listeners.add('predictions', cb, s);
    this.#ensure({
      key: `predictions:${s}`,
      table: 'ml_predictions',
      events: ['INSERT'],
      ...(s === '*' ? {} : { filter: `symbol=eq.${s}` }),
      deliver: (_type, row) => this.#deliverSignal(row),
    });
    return handle;
  }

  subscribeToModelUpdates(cb: (update: ModelUpdate) => void): Subscription {
    return this.#subscribeUpdates('model', cb);
  }

  subscribeToWeightUpdates(cb: (update: WeightUpdate) => void): Subscription {
    return this.#subscribeUpdates('weights', cb);
  }

  subscribeToDrift(cb: (update: DriftUpdate) => void): Subscription {
    return this.#subscribeUpdates('drift', cb);
  }

  onStatus(cb: (event: StatusEvent) => void): Subscription {
    return this.#listeners.add('status', cb);
  }

  onError(cb: (err: SignalClientError) => void): Subscription {
    return this.#listeners.add('error', cb);
  }

  unsubscribe(target?: Subscription | string): void {
    this.#listeners.remove(typeof target === 'string' ? normalizeSymbol(target) : target);
    for (const key of [...this.#channels.keys()]) {
      if (!this.#wanted(key)) this.#leave(key);
    }
  }

  close(): Promise<void> {
    return this.#closeWith();
  }

  #closeWith(error?: SignalClientError): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#channels.clear();
      closeSocket(this.#realtime);
      this.#setStatus({ status: 'closed', ...(error ? { error } : {}) });
    })();
    return this.#closing;
  }

  /** Whether some listener still needs the channel `key`. */
  #wanted(key: string): boolean {
    if (key.startsWith('predictions:')) return this.#listeners.has('predictions', key.slice('predictions:'.length));
    return this.#listeners.has(key as Subscription['kind']);
  }

  #ensure(feed: Feed): void {
    if (this.#closed || this.#channels.has(feed.key)) return;
    // A fresh topic each time: a channel being left still holds the previous one in realtime-js.
    const channel = this.#realtime.channel(`signalbase:${feed.key}:${++this.#topicSeq}`);
    const joined: Joined = { channel, subscribed: false };
    this.#channels.set(feed.key, joined);
    for (const event of feed.events) {
      channel.on(
        'postgres_changes',
        { event, schema: this.#schema, table: feed.table, ...(feed.filter !== undefined ? { filter: feed.filter } : {}) },
        (payload: RealtimePostgresChangesPayload<Row>) => this.#onChange(feed, payload),
      );
    }
    channel.subscribe((state, err) => {
      if (this.#closed || this.#channels.get(feed.key) !== joined) return;
      if (state === 'SUBSCRIBED') {
        joined.subscribed = true;
        this.#maybeOpen();
        return;
      }
      joined.subscribed = false;
      if (state === 'CLOSED') return;
      // The socket's loss is reported by reconnectAfterMs; a channel refused on a live socket is news.
      if (this.#realtime.isConnected()) {
        this.#emitError(
          new SignalClientError(state === 'TIMED_OUT' ? 'JOIN_TIMEOUT' : 'CHANNEL_ERROR', `Realtime ${state === 'TIMED_OUT' ? 'did not answer the join of' : 'refused'} ${feed.table}${feed.filter ? ` (${feed.filter})` : ''}${err ? `: ${err.message}` : ''}; realtime-js retries`, {
            retryable: true,
            cause: err,
          }),
        );
      }
    });
  }

  #leave(key: string): void {
    const joined = this.#channels.get(key);
    if (!joined) return;
    this.#channels.delete(key);
    void this.#realtime.removeChannel(joined.channel).catch((err: unknown) => {
      this.#emitError(new SignalClientError('CHANNEL_ERROR', `leaving a Realtime channel failed: ${(err as Error)?.message ?? String(err)}`, { cause: err }));
    });
  }

  #onChange(feed: Feed, payload: RealtimePostgresChangesPayload<Row>): void {
    if (this.#closed) return;
    if (payload.errors && (!Array.isArray(payload.errors) || payload.errors.length > 0)) {
      this.#emitError(new SignalClientError('SERVER_ERROR', `Realtime reported for ${feed.table}: ${JSON.stringify(payload.errors)}`));
    }
    if (payload.eventType !== 'INSERT' && payload.eventType !== 'UPDATE') return;
    feed.deliver(payload.eventType, payload.new as Row);
  }

  #deliverSignal(row: Row): void {
    // A user's own API predictions reach it through RLS too; they are answers, not the signal feed.
    if (row.prediction_type !== undefined && row.prediction_type !== 'SIGNAL') return;
    let signal: Signal;
    try {
      signal = predictionRowToSignal(row);
    } catch (err) {
      return this.#badRow(err);
    }
    if (!this.#recent.add(signal.id)) return; // arrived on another channel already
    this.#lastId = signal.id;
    this.#listeners.deliver(this.#listeners.for<Signal>('predictions', signal.symbol), signal);
  }

  #subscribeUpdates<T>(kind: UpdateKind, cb: (update: T) => void): Subscription {
    const handle = this.#listeners.add(kind, cb);
    const f = UPDATE_FEEDS[kind];
    this.#ensure({ key: kind, table: f.table, events: f.events, deliver: (type, row) => this.#dispatch(kind, () => f.build(type, row)) });
    return handle;
  }

  #dispatch<T>(kind: UpdateKind, build: () => T): void {
    let value: T;
    try {
      value = build();
    } catch (err) {
      return this.#badRow(err);
    }
    this.#listeners.deliver(this.#listeners.for<T>(kind), value);
  }

  #badRow(err: unknown): void {
    if (!(err instanceof BadRowError)) throw err;
    this.#emitError(new SignalClientError('BAD_FRAME', `ignored a Realtime change: ${err.message}`));
  }

  #maybeOpen(): void {
    if (this.#status === 'open') return;
    for (const j of this.#channels.values()) if (!j.subscribed) return;
    this.#setStatus({ status: 'open' });
  }

  #onSocketLost(attempt: number, delayMs: number): void {
    const wasOpen = this.#status === 'open';
    for (const j of this.#channels.values()) j.subscribed = false;
    const endpoint = this.#realtime.endpointURL().split('?')[0];
    const refused = this.#refusedWith;
    this.#refusedWith = null;
    if (refused === 401 || refused === 403) {
      // The key is wrong: retrying cannot help (as the daemon transport). Closed once realtime-js
      // has armed its reconnect timer, so that close() clears it.
      const error = new SignalClientError(refused === 401 ? 'UNAUTHORIZED' : 'FORBIDDEN', `Realtime at ${endpoint} refused the key (HTTP ${refused}): check supabaseKey`, { context: { status: refused } });
      setTimeout(() => void this.#closeWith(error), 0);
      return;
    }
    this.#setStatus({
      status: 'reconnecting',
      attempt,
      delayMs,
      error: wasOpen
        ? new SignalClientError('CONNECTION_LOST', 'the Realtime connection closed', { retryable: true })
        : new SignalClientError(refused ? 'HTTP_ERROR' : 'CONNECT_FAILED', `cannot reach Realtime at ${endpoint}${refused ? ` (HTTP ${refused})` : ''}`, { retryable: true, context: refused ? { status: refused } : {} }),
    });
  }

  #emitError(err: SignalClientError): void {
    this.#listeners.emit('error', err);
  }

  #setStatus(event: StatusEvent): void {
    if (this.#status === 'closed') return;
    this.#status = event.status;
    this.#listeners.emit('status', event);
  }
}

/**
 * ws, telling `onRefused` the HTTP status when the server answers the upgrade with one (realtime-js
 * sees only a closed socket). Without a listener ws would emit an error; this one ends the attempt.
 */
function refusalAwareWebSocket(onRefused: (status: number) => void): new (address: string, protocols?: string | string[]) => WebSocket {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('unexpected-response', (_req, res) => {
        onRefused(res.statusCode ?? 0);
        res.resume();
        this.terminate();
      });
    }
  };
}

interface PhoenixSocketLike {
  disconnect(callback?: () => void, code?: number, reason?: string): void;
}

/**
 * Closes the socket (code 1000) with no timer left behind. realtime-js 2.109's disconnect() arms a
 * 10 s timer it never clears and removing the last channel arms a deferred disconnect, so a CLI
 * that closes would linger that long; its phoenix socket's own disconnect (what disconnect() calls
 * underneath) has neither. Falls back to disconnect() if those internals move.
 */
function closeSocket(realtime: RealtimeClient): void {
  const internals = realtime as unknown as { socketAdapter?: { getSocket?: () => PhoenixSocketLike }; _cancelPendingDisconnect?: () => void };
  const socket = internals.socketAdapter?.getSocket?.();
  if (socket && typeof socket.disconnect === 'function') {
    if (typeof internals._cancelPendingDisconnect === 'function') internals._cancelPendingDisconnect.call(realtime);
    socket.disconnect(undefined, 1000, 'client closed');
  } else {
    void realtime.disconnect(1000, 'client closed');
  }
}
