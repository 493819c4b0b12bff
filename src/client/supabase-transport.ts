/**
 * The Supabase transport: the SignalClient API over Supabase Realtime, through realtime-js (the
 * RealtimeClient supabase-js re-exports, configured as supabase-js configures it: `apikey` in the
 * socket URL, the access token in every join), plus catch-up reads over REST.
 *
 * - Signals and outcomes: one channel per listened symbol ('*': one for all). With Broadcast
 *   (`realtime: 'auto'`, the default, or 'broadcast') it is the private topic signals:<BASE>_<QUOTE>
 *   or signals:all, events 'signal' and 'outcome' (sql/20261204001100_broadcast.sql); if the
 *   project refuses the private join (no broadcast migration, or the policies exclude the role) an
 *   'auto' client falls back to postgres_changes on ml_predictions (INSERT: a signal, UPDATE with
 *   actual_outcome: its outcome; filter `symbol=eq.<symbol>`). `realtimeMode` says which.
 * - Models (ml_models INSERT/UPDATE), weights (ml_indicator_weights INSERT/UPDATE) and drift
 *   (ml_model_drift INSERT) are postgres_changes channels, made with the first listener.
 * - Catch-up: after every rejoin that follows a lost socket (and at start when `since` is given),
 *   once every channel is subscribed again, the client reads ml_predictions over REST from the last
 *   candle it saw (minus `catchUpLookbackMs`) and the rows of the signals it delivered that were
 *   still open, delivers what it missed, then what arrived live meanwhile (held until then). The
 *   channels were joined before the read began, so nothing falls between the two: no gap; ids
 *   delivered already are dropped: no duplicate.
 * - realtime-js owns the connection: heartbeats, reconnect after 1 s, 2 s, 5 s, 10 s, rejoining
 *   every channel on the new socket. A key refused at the upgrade (HTTP 401/403, visible in Node)
 *   ends the client (status `closed` with UNAUTHORIZED or FORBIDDEN).
 */
import { RealtimeClient, type RealtimeChannel, type RealtimePostgresChangesPayload } from '@supabase/supabase-js';
import { readRowsById, readSignalsFrom, type RestSource, type Row } from './catch-up.ts';
import { BaseSignalClient, type UpdateKind } from './client-base.ts';
import { SignalClientError } from './errors.ts';
import type { ClientPlatform } from './platform.ts';
import { closeSocket, realtimeUrl, restUrl } from './realtime-socket.ts';
import { BadRowError, broadcastRecord, driftRowToUpdate, modelRowToUpdate, predictionRowToOutcome, predictionRowToSignal, pgTimestampToIso, weightRowToUpdate } from './supabase-rows.ts';
import type { SupabaseTransportOptions } from './types.ts';

/** realtime-js's own reconnect steps (RealtimeClient RECONNECT_INTERVALS). */
const REALTIME_RECONNECT_MS = [1_000, 2_000, 5_000, 10_000] as const;
const CATCH_UP_RETRY_MS = 2_000;
/** Delivered signals without an outcome yet, remembered so a catch-up can fetch their outcomes. */
const OPEN_SIGNALS_KEPT = 1_000;

type ChangeEvent = 'INSERT' | 'UPDATE';
type Mode = 'broadcast' | 'postgres_changes';

/** The tables behind model, weight and drift updates, and their row mappings. */
const UPDATE_FEEDS: Record<UpdateKind, { table: string; events: readonly ChangeEvent[]; build: (type: ChangeEvent, row: Row) => unknown }> = {
  model: { table: 'ml_models', events: ['INSERT', 'UPDATE'], build: (type, row) => modelRowToUpdate(type, row) },
  weights: { table: 'ml_indicator_weights', events: ['INSERT', 'UPDATE'], build: (_type, row) => weightRowToUpdate(row) },
  drift: { table: 'ml_model_drift', events: ['INSERT'], build: (_type, row) => driftRowToUpdate(row) },
};

interface Joined {
  channel: RealtimeChannel;
  subscribed: boolean;
  /** For signal channels: how they are fed. */
  mode: Mode | null;
}

/** A row to hand on: a signal (and its outcome if resolved), or only the outcome. */
type Delivery = { what: 'signal' | 'outcome'; row: Row };

/** signals:<BASE>_<QUOTE> for a symbol, signals:all for '*' (sb_signal_topic in SQL). */
export function signalTopic(symbol: string): string {
  return symbol === '*' ? 'signals:all' : `signals:${symbol.replace(/\//g, '_')}`;
}

export { realtimeUrl };

export class SupabaseSignalClient extends BaseSignalClient {
  readonly #realtime: RealtimeClient;
  readonly #schema: string;
  readonly #want: 'auto' | Mode;
  readonly #rest: RestSource | null;
  readonly #lookbackMs: number;
  readonly #sinceMs: number | null;
  readonly #channels = new Map<string, Joined>();
  /** Broadcast topics being left: realtime-js hands back the leaving channel until it is gone. */
  readonly #leaving = new Map<string, Promise<void>>();
  readonly #open = new Map<string, true>();
  #mode: Mode | null = null;
  #closed = false;
  #closing: Promise<void> | null = null;
  #topicSeq = 0;
  /** Whether this join cycle's catch-up ran (false again once the socket is lost). */
  #caughtUp = false;
  /** Live rows held while a catch-up runs; null when none runs. */
  #held: Delivery[] | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The HTTP status of the last refused upgrade, until the next socket opens. */
  #refusedWith: number | null = null;

  constructor(opts: SupabaseTransportOptions, platform: ClientPlatform) {
    super(opts.dedupeWindow);
    const endpoint = realtimeUrl(opts.supabaseUrl);
    if (!opts.supabaseKey || opts.supabaseKey.trim() === '') {
      throw new SignalClientError('INVALID_OPTIONS', 'supabaseKey is required (the project\'s anon or service-role key)');
    }
    const key = opts.supabaseKey.trim();
    const token = opts.accessToken?.trim() || key;
    const steps = opts.reconnectDelaysMs && opts.reconnectDelaysMs.length > 0 ? opts.reconnectDelaysMs : REALTIME_RECONNECT_MS;
    this.#schema = opts.schema ?? 'public';
    this.#want = opts.realtime ?? 'auto';
    this.#lookbackMs = opts.catchUpLookbackMs ?? 600_000;
    this.#sinceMs = opts.since !== undefined ? sinceMs(opts.since) : null;
    const fetchFn = opts.fetch ?? (globalThis.fetch as typeof fetch | undefined);
    this.#rest = opts.catchUp === false || !fetchFn ? null : { restUrl: restUrl(opts.supabaseUrl), apiKey: key, token, schema: this.#schema, fetch: fetchFn.bind(globalThis) };
    const transport = platform.realtimeTransport((status) => (this.#refusedWith = status));
    this.#realtime = new RealtimeClient(endpoint, {
      params: { apikey: key },
      ...(transport ? { transport: transport as NonNullable<ConstructorParameters<typeof RealtimeClient>[1]>['transport'] } : {}),
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
          this.emitError(new SignalClientError('STALE_CONNECTION', 'a Realtime heartbeat went unanswered; reconnecting', { retryable: true }));
        }
      },
    });
    // Set before any join so the first phx_join already carries it (an accessToken callback would
    // resolve after the first join was queued). A fixed token: realtime-js keeps it across rejoins.
    void this.#realtime.setAuth(token);
    // At start there is nothing to catch up on, unless the caller asked to start from `since`.
    this.#caughtUp = this.#sinceMs === null;
  }

  override get realtimeMode(): Mode | null {
    return this.#mode;
  }

  close(): Promise<void> {
    return this.#closeWith();
  }

  protected symbolsChanged(): void {
    this.#sync();
  }

  protected override updatesChanged(): void {
    this.#sync();
  }

  #closeWith(error?: SignalClientError): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearTimeout(this.#retryTimer);
      this.#channels.clear();
      closeSocket(this.#realtime);
      this.setStatus({ status: 'closed', ...(error ? { error } : {}) });
    })();
    return this.#closing;
  }

  /** Joins the channels the listeners need and leaves the others. */
  #sync(): void {
    if (this.#closed) return;
    // A channel per listened symbol ('*' among them): a signal on two arrives once (by id).
    const wanted = new Set<string>(this.listeners.listenedSymbols().map((s) => `signals:${s}`));
    for (const kind of Object.keys(UPDATE_FEEDS) as UpdateKind[]) if (this.listeners.has(kind)) wanted.add(kind);
    for (const key of [...this.#channels.keys()]) if (!wanted.has(key)) this.#leave(key);
    for (const key of wanted) {
      if (this.#channels.has(key)) continue;
      if (key.startsWith('signals:')) this.#joinSignals(key.slice('signals:'.length));
      else this.#joinUpdates(key as UpdateKind);
    }
  }

  #joinSignals(symbol: string): void {
    const key = `signals:${symbol}`;
    const mode: Mode = this.#mode ?? (this.#want === 'postgres_changes' ? 'postgres_changes' : 'broadcast');
    if (mode === 'postgres_changes') {
      // A fresh topic each time: a channel being left still holds the previous one in realtime-js.
      const channel = this.#realtime.channel(`signalbase:predictions:${symbol}:${++this.#topicSeq}`);
      for (const event of ['INSERT', 'UPDATE'] as const) {
        channel.on(
          'postgres_changes',
          { event, schema: this.#schema, table: 'ml_predictions', ...(symbol === '*' ? {} : { filter: `symbol=eq.${symbol}` }) },
          (payload: RealtimePostgresChangesPayload<Row>) => this.#onChange(payload, (type, row) => this.#live({ what: type === 'INSERT' ? 'signal' : 'outcome', row })),
        );
      }
      return this.#subscribe(key, channel, 'postgres_changes');
    }
    const topic = signalTopic(symbol);
    const leaving = this.#leaving.get(topic);
    // realtime-js hands back a channel being left under the same topic: join once it is gone.
    if (leaving) return void leaving.then(() => this.#sync());
    const channel = this.#realtime.channel(topic, { config: { private: true, broadcast: { ack: false, self: false } } });
    for (const event of ['signal', 'outcome'] as const) {
      channel.on('broadcast', { event }, (message: { payload?: unknown }) => this.#onBroadcast(event, message.payload));
    }
    this.#subscribe(key, channel, 'broadcast');
  }

  #joinUpdates(kind: UpdateKind): void {
    const f = UPDATE_FEEDS[kind];
    const channel = this.#realtime.channel(`signalbase:${kind}:${++this.#topicSeq}`);
    for (const event of f.events) {
      channel.on('postgres_changes', { event, schema: this.#schema, table: f.table }, (payload: RealtimePostgresChangesPayload<Row>) =>
        this.#onChange(payload, (type, row) => this.#row(() => this.deliverUpdate(kind, f.build(type, row)))),
      );
    }
    this.#subscribe(kind, channel, null);
  }

  #subscribe(key: string, channel: RealtimeChannel, mode: Mode | null): void {
    const joined: Joined = { channel, subscribed: false, mode };
    this.#channels.set(key, joined);
    channel.subscribe((state, err) => {
      if (this.#closed || this.#channels.get(key) !== joined) return;
      if (state === 'SUBSCRIBED') {
        joined.subscribed = true;
        if (mode !== null) this.#mode = mode;
        this.#maybeOpen();
        return;
      }
      joined.subscribed = false;
      if (state === 'CLOSED' || !this.#realtime.isConnected()) return; // a lost socket is reported by reconnectAfterMs
      if (mode === 'broadcast' && this.#want === 'auto' && state === 'CHANNEL_ERROR') return this.#fallBack();
      this.emitError(
        new SignalClientError(state === 'TIMED_OUT' ? 'JOIN_TIMEOUT' : 'CHANNEL_ERROR', `Realtime ${state === 'TIMED_OUT' ? 'did not answer the join of' : 'refused'} ${key}${err ? `: ${err.message}` : ''}; realtime-js retries`, {
          retryable: true,
          cause: err,
        }),
      );
    });
  }

  /** The private signal topics were refused: postgres_changes for the rest of this client's life. */
  #fallBack(): void {
    if (this.#mode === 'postgres_changes') return;
    this.#mode = 'postgres_changes';
    for (const [key, j] of [...this.#channels]) if (j.mode === 'broadcast') this.#leave(key);
    this.#sync();
  }

  #leave(key: string): void {
    const joined = this.#channels.get(key);
    if (!joined) return;
    this.#channels.delete(key);
    const topic = joined.channel.subTopic;
    const done = this.#realtime.removeChannel(joined.channel).then(
      () => undefined,
      (err: unknown) => this.emitError(new SignalClientError('CHANNEL_ERROR', `leaving a Realtime channel failed: ${(err as Error)?.message ?? String(err)}`, { cause: err })),
    );
    if (joined.mode === 'broadcast') {
      this.#leaving.set(topic, done);
      void done.then(() => this.#leaving.delete(topic));
    }
  }

  #onChange(payload: RealtimePostgresChangesPayload<Row>, deliver: (type: ChangeEvent, row: Row) => void): void {
    if (this.#closed) return;
    if (payload.errors && (!Array.isArray(payload.errors) || payload.errors.length > 0)) {
      this.emitError(new SignalClientError('SERVER_ERROR', `Realtime reported for ${payload.table}: ${JSON.stringify(payload.errors)}`));
    }
    if (payload.eventType !== 'INSERT' && payload.eventType !== 'UPDATE') return;
    deliver(payload.eventType, payload.new as Row);
  }

  #onBroadcast(event: 'signal' | 'outcome', payload: unknown): void {
    if (this.#closed) return;
    this.#row(() => {
      const row = broadcastRecord(payload, this.#schema);
      if (row) this.#live({ what: event, row });
    });
  }

  /** A live row: held while a catch-up runs (delivered after it, in order), else delivered now. */
  #live(d: Delivery): void {
    if (this.#held) this.#held.push(d);
    else this.#deliver(d);
  }

  #deliver({ what, row }: Delivery): void {
    // A user's own API predictions reach it through RLS too; they are answers, not the signal feed.
    if (row.prediction_type !== undefined && row.prediction_type !== 'SIGNAL') return;
    this.#row(() => {
      if (what === 'signal') {
        const signal = predictionRowToSignal(row);
        if (this.deliverSignal(signal)) {
          this.#open.set(signal.id, true);
          if (this.#open.size > OPEN_SIGNALS_KEPT) this.#open.delete(this.#open.keys().next().value as string);
        }
      }
      const outcome = predictionRowToOutcome(row);
      if (outcome) {
        this.#open.delete(outcome.prediction_id);
        this.deliverOutcome(outcome);
      }
    });
  }

  /** Runs a row's mapping; a row that is not what the table holds is reported and dropped. */
  #row(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof BadRowError)) throw err;
      this.emitError(new SignalClientError('BAD_FRAME', `ignored a Realtime message: ${err.message}`));
    }
  }

  #maybeOpen(): void {
    for (const j of this.#channels.values()) if (!j.subscribed) return;
    if (this.status !== 'open') this.setStatus({ status: 'open' });
    if (!this.#caughtUp) void this.#catchUp();
  }

  /** Reads what the channels missed (see the file comment), then releases the held live rows. */
  async #catchUp(): Promise<void> {
    const rest = this.#rest;
    const last = this.lastCandleMs;
    const from = last !== null ? last - this.#lookbackMs : this.#sinceMs;
    const wantsSignals = [...this.#channels.keys()].some((k) => k.startsWith('signals:'));
    if (this.#held || !wantsSignals) return; // one at a time (the running one re-checks at its end); nothing to read for
    this.#caughtUp = true;
    if (!rest || from === null) return;
    this.#held = [];
    let failed = false;
    try {
      const open = [...this.#open.keys()];
      const [{ rows, truncated }, resolved] = await Promise.all([readSignalsFrom(rest, from, this.listeners.symbols()), open.length > 0 ? readRowsById(rest, open) : Promise.resolve([])]);
      if (this.#closed) return;
      for (const row of resolved) if (row.actual_outcome != null) this.#deliver({ what: 'outcome', row });
      for (const row of rows) this.#deliver({ what: 'signal', row });
      if (truncated) this.emitError(new SignalClientError('CATCH_UP_TRUNCATED', `more than ${rows.length} signals were missed; the oldest ${rows.length} were delivered`));
    } catch (err) {
      const error = err instanceof SignalClientError ? err : new SignalClientError('CATCH_UP_FAILED', String(err), { retryable: true, cause: err });
      this.emitError(error);
      // A network failure or a 5xx is tried again; a refusal (4xx) waits for the next rejoin.
      if (error.retryable) {
        failed = true;
        this.#caughtUp = false;
        clearTimeout(this.#retryTimer);
        this.#retryTimer = setTimeout(() => this.#maybeOpen(), CATCH_UP_RETRY_MS);
      }
    } finally {
      const held = this.#held ?? [];
      this.#held = null;
      for (const d of held) this.#deliver(d);
      // The socket was lost and rejoined while this read ran: read again for that gap.
      if (!failed && !this.#caughtUp && !this.#closed) this.#maybeOpen();
    }
  }

  #onSocketLost(attempt: number, delayMs: number): void {
    const wasOpen = this.status === 'open';
    for (const j of this.#channels.values()) j.subscribed = false;
    this.#caughtUp = false;
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
    this.setStatus({
      status: 'reconnecting',
      attempt,
      delayMs,
      error: wasOpen
        ? new SignalClientError('CONNECTION_LOST', 'the Realtime connection closed', { retryable: true })
        : new SignalClientError(refused ? 'HTTP_ERROR' : 'CONNECT_FAILED', `cannot reach Realtime at ${endpoint}${refused ? ` (HTTP ${refused})` : ''}`, { retryable: true, context: refused ? { status: refused } : {} }),
    });
  }
}

function sinceMs(since: string): number {
  const ms = Date.parse(since);
  if (Number.isFinite(ms)) return ms;
  try {
    return Date.parse(pgTimestampToIso(since));
  } catch {
    throw new SignalClientError('INVALID_OPTIONS', `since '${since}' is not an ISO 8601 time (the Supabase transport resumes from a candle time)`);
  }
}
