/**
 * The websocket signal stream's core: the daemon publishes here (publishSignals and friends), every
 * connected client gets what it subscribed to, and a `since` resume replays what it missed
 * (catch-up.ts). Publishing is synchronous and never waits for any client.
 *
 *   daemon ──publishSignals──► ring (last N, serialised once) ──► live clients (filtered, no await)
 *                                          └──► clients catching up: held in pending, merged at switch
 */
import type { Registry } from 'prom-client';
import type { RawData, WebSocket } from 'ws';
import { systemClock, type Clock } from '../domain/clock.ts';
import { compareCursors, type PredictionCursor } from '../domain/prediction.ts';
import type { Signal } from '../domain/signal.ts';
import type { Logger } from '../log.ts';
import { resume, type CatchUpContext } from './catch-up.ts';
import { serveMetrics, type ServeMetrics } from './metrics.ts';
import { parseClientMessage, type ClientCommand } from './client-messages.ts';
import { SignalRing, signalCursor, type RingEntry } from './signal-ring.ts';
import { StreamClient, type DropReason } from './stream-client.ts';
import type { SignalHistory, StreamOptions } from './types.ts';

export const DEFAULT_STREAM_OPTIONS: StreamOptions = {
  ringSize: 10_000,
  pingIntervalMs: 30_000,
  maxBufferedBytes: 1024 * 1024,
  maxPendingPerClient: 10_000,
  catchUpPageSize: 200,
  maxClients: 10_000,
  maxSocketsPerKey: 50,
  maxUnknownSymbols: 16,
  maxMessageBytes: 16 * 1024,
  maxMessagesPerSecond: 20,
  closeGraceMs: 5_000,
  gapRetries: 3,
  gapRetryMs: 500,
};

/** Bound on the per-symbol eviction index (one entry per symbol ever evicted). */
const MAX_EVICTED_SYMBOLS = 100_000;

export interface StreamHubDeps {
  history: SignalHistory;
  registry: Registry;
  logger: Logger;
  clock?: Clock;
  knownSymbols?: () => readonly string[];
  options?: Partial<StreamOptions>;
}

export interface AttachOptions {
  /** For logs and clients(); never the key itself. */
  keyName: string | null;
  /** Counted against maxSocketsPerKey. */
  keyId?: string;
  revalidate?: () => Promise<boolean>;
}

export interface StreamClientInfo {
  id: number;
  keyName: string | null;
  state: StreamClient['state'];
  symbols: string[];
  bufferedBytes: number;
}

export class StreamHub {
  readonly options: StreamOptions;
  readonly #deps: StreamHubDeps;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #metrics: ServeMetrics;
  readonly #ring: SignalRing;
  readonly #evicted = new Map<string, PredictionCursor>();
  readonly #clients = new Set<StreamClient>();
  /** Open sockets per key id. */
  readonly #perKey = new Map<string, number>();
  /** Untracked symbols each client subscribed to (bounded by maxUnknownSymbols). */
  readonly #unknown = new WeakMap<StreamClient, Set<string>>();
  readonly #ctx: CatchUpContext;
  #nextId = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  constructor(deps: StreamHubDeps) {
    this.options = { ...DEFAULT_STREAM_OPTIONS, ...deps.options };
    this.#deps = deps;
    this.#log = deps.logger.child({ module: 'stream' });
    this.#clock = deps.clock ?? systemClock;
    this.#metrics = serveMetrics(deps.registry);
    this.#ring = new SignalRing(this.options.ringSize);
    this.#ctx = {
      history: deps.history,
      ring: this.#ring,
      pageSize: this.options.catchUpPageSize,
      gapRetries: this.options.gapRetries,
      gapRetryMs: this.options.gapRetryMs,
      evicted: this.#evicted,
      onGap: (c) => {
        this.#metrics.wsResumeGaps.inc();
        this.#log.warn({ client: c.id, ringSize: this.#ring.capacity }, 'resume may have a gap: the ring evicted signals the store does not have yet');
        c.sendError('RESUME_GAP', 'some signals after since were neither stored yet nor still in memory; resume again from the last signal you received');
      },
      onStoreError: (c, err) => {
        this.#log.warn({ err, client: c.id }, 'resume could not read stored signals');
        c.sendError('RESUME_FAILED', 'stored signals could not be read; continuing with the signals held in memory');
      },
    };
  }

  get clientCount(): number {
    return this.#clients.size;
  }

  /** False while stopping or full: the server refuses new upgrades with 503. */
  get accepting(): boolean {
    return !this.#stopping && this.#clients.size < this.options.maxClients;
  }

  /** False when `keyId` already holds maxSocketsPerKey sockets: the server refuses the upgrade with 429. */
  acceptingKey(keyId: string): boolean {
    return (this.#perKey.get(keyId) ?? 0) < this.options.maxSocketsPerKey;
  }

  /** Starts the ping timer. */
  start(): void {
    if (this.#timer || this.#stopping) return;
    this.#timer = setInterval(() => this.#tick(), this.options.pingIntervalMs);
    this.#timer.unref();
  }

  /** Takes over an upgraded socket. */
  attach(ws: WebSocket, opts: AttachOptions): void {
    if (this.#stopping) {
      ws.close(1001, 'server shutting down');
      return;
    }
    const keyId = opts.keyId;
    if (keyId !== undefined) {
      // Re-checked here: two upgrades of one key may both have passed acceptingKey.
      if (!this.acceptingKey(keyId)) {
        this.#metrics.wsDropped.inc({ reason: 'key_socket_limit' });
        ws.close(1008, `this key already holds ${this.options.maxSocketsPerKey} stream sockets`);
        return;
      }
      this.#perKey.set(keyId, (this.#perKey.get(keyId) ?? 0) + 1);
    }
    const client = new StreamClient(++this.#nextId, ws, {
      keyName: opts.keyName,
      ...(opts.revalidate ? { revalidate: opts.revalidate } : {}),
      limits: {
        maxBufferedBytes: this.options.maxBufferedBytes,
        maxPending: this.options.maxPendingPerClient,
        closeGraceMs: this.options.closeGraceMs,
        maxMessagesPerSecond: this.options.maxMessagesPerSecond,
      },
      onDrop: (c, reason) => this.#dropped(c, reason),
      onSent: (type) => this.#metrics.wsMessages.inc({ type }),
    });
    this.#clients.add(client);
    this.#metrics.wsClients.inc();
    ws.on('pong', () => {
      client.alive = true;
    });
    ws.on('message', (data, isBinary) => this.#onMessage(client, data, isBinary));
    ws.on('error', (err) => this.#log.debug({ err, client: client.id }, 'websocket client error'));
    ws.on('close', () => {
      client.closed();
      if (this.#clients.delete(client)) {
        this.#metrics.wsClients.dec();
        if (keyId !== undefined) {
          const n = (this.#perKey.get(keyId) ?? 1) - 1;
          if (n <= 0) this.#perKey.delete(keyId);
          else this.#perKey.set(keyId, n);
        }
      }
    });
    this.#log.debug({ client: client.id, keyName: opts.keyName }, 'websocket client connected');
  }

  /** Publishes signals (in stream order) to subscribers; a signal id already published is skipped. */
  publishSignals(signals: readonly Signal[]): void {
    const corked: StreamClient[] = [];
    try {
      for (const s of signals) {
        if (this.#ring.get(s.id)) continue;
        const entry: RingEntry = { cursor: signalCursor(s), frame: Buffer.from(JSON.stringify({ type: 'signal', data: s })) };
        const out = this.#ring.insert(entry);
        if (out) this.#noteEvicted(out.cursor);
        for (const c of this.#clients) {
          if (!c.filter.matches(s.symbol)) continue;
          if (c.state === 'live') {
            if (!c.corked) {
              if (!c.cork()) continue;
              corked.push(c);
            }
            c.send(entry.frame, 'signal');
          } else if (c.state === 'catching_up') {
            c.hold({ kind: 'signal', entry });
          }
        }
      }
    } finally {
      for (const c of corked) c.uncork();
    }
  }

  /** A signal's outcome; sent to clients subscribed to its `symbol` (to all when it has none). */
  publishOutcome(data: Record<string, unknown>): void {
    this.#publishEvent('outcome', data);
  }

  /** A model registry change (trained, activated, rolled back). */
  publishModel(data: Record<string, unknown>): void {
    this.#publishEvent('model', data);
  }

  /** A drift check result. */
  publishDrift(data: Record<string, unknown>): void {
    this.#publishEvent('drift', data);
  }

  clients(): StreamClientInfo[] {
    return [...this.#clients].map((c) => ({
      id: c.id,
      keyName: c.keyName,
      state: c.state,
      symbols: c.filter.describe(),
      bufferedBytes: c.ws.bufferedAmount,
    }));
  }

  /** Closes every client with 1001 and cuts those still open at the deadline. Idempotent. */
  stop(deadlineMs = 5_000): Promise<void> {
    this.#stopped ??= this.#stop(deadlineMs);
    return this.#stopped;
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#stopping = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    const open = [...this.#clients];
    const allClosed = Promise.all(
      open.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.state === 'closed') return resolve();
            c.ws.once('close', () => resolve());
            try {
              c.close(1001, 'server shutting down');
            } catch (err) {
              this.#log.debug({ err, client: c.id }, 'close failed; cutting');
              c.ws.terminate();
            }
          }),
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), deadlineMs);
    });
    const outcome = await Promise.race([allClosed.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (outcome === 'deadline') {
      for (const c of this.#clients) {
        try {
          c.ws.terminate();
        } catch (err) {
          this.#log.debug({ err, client: c.id }, 'terminate failed');
        }
      }
      this.#log.warn({ clients: this.#clients.size }, 'websocket clients cut at the shutdown deadline');
    }
  }

  #publishEvent(type: 'outcome' | 'model' | 'drift', data: Record<string, unknown>): void {
    const symbol = typeof data.symbol === 'string' ? data.symbol : null;
    const frame = JSON.stringify({ type, data });
    for (const c of this.#clients) {
      if (symbol !== null && !c.filter.matches(symbol)) continue;
      if (c.state === 'live') c.send(frame, type);
      else if (c.state === 'catching_up') c.hold({ kind: 'event', type, symbol, frame });
    }
  }

  #noteEvicted(c: PredictionCursor): void {
    const prev = this.#evicted.get(c.symbol);
    if (prev && compareCursors(c, prev) <= 0) return;
    this.#evicted.delete(c.symbol);
    this.#evicted.set(c.symbol, c);
    if (this.#evicted.size > MAX_EVICTED_SYMBOLS) this.#evicted.delete(this.#evicted.keys().next().value as string);
  }

  #dropped(c: StreamClient, reason: DropReason): void {
    this.#metrics.wsDropped.inc({ reason });
    this.#log.info({ client: c.id, keyName: c.keyName, reason, bufferedBytes: c.ws.bufferedAmount }, 'websocket client dropped');
  }

  #tick(): void {
    for (const c of this.#clients) {
      if (c.closing) continue;
      if (!c.alive) {
        c.drop('ping_timeout', 1001, 'no pong');
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch (err) {
        this.#log.debug({ err, client: c.id }, 'ping failed');
      }
      c.revalidate?.().then(
        (ok) => {
          if (!ok) c.drop('key_revoked', 1008, 'API key revoked or expired');
        },
        (err: unknown) => this.#log.debug({ err, client: c.id }, 'key re-check failed; keeping the client'),
      );
    }
  }

  /**
   * Symbols this instance tracks are always accepted; others (another shard's, one not listed yet)
   * up to maxUnknownSymbols per socket, the rest refused with an error frame and left out.
   */
  #boundSymbols(client: StreamClient, cmd: ClientCommand): ClientCommand {
    const known = this.#deps.knownSymbols?.();
    if (cmd.type !== 'subscribe' || cmd.symbols === null || known === undefined) return cmd;
    const tracked = new Set(known);
    const mine = this.#unknown.get(client) ?? new Set<string>();
    if (cmd.since !== undefined) mine.clear();
    const kept: string[] = [];
    let refused = 0;
    for (const s of cmd.symbols) {
      if (tracked.has(s) || mine.has(s)) kept.push(s);
      else if (mine.size < this.options.maxUnknownSymbols) {
        mine.add(s);
        kept.push(s);
      } else refused += 1;
    }
    this.#unknown.set(client, mine);
    if (refused > 0) {
      client.sendError(
        'UNKNOWN_SYMBOLS',
        `${refused} symbol(s) refused: this instance does not track them and a socket may follow at most ${this.options.maxUnknownSymbols} untracked symbols`,
      );
    }
    return { ...cmd, symbols: kept };
  }

  #onMessage(client: StreamClient, data: RawData, isBinary: boolean): void {
    if (client.closing) return;
    if (!client.allowMessage(this.#clock.now())) {
      client.sendError('TOO_MANY_MESSAGES', `at most ${this.options.maxMessagesPerSecond} messages a second; this one was ignored`);
      return;
    }
    const parsed = parseClientMessage(data, isBinary, this.#deps.knownSymbols?.() ?? []);
    if (!parsed.ok) {
      client.sendError(parsed.code, parsed.message);
      return;
    }
    const cmd = this.#boundSymbols(client, parsed.command);
    if (cmd.type === 'unsubscribe') {
      client.filter.remove(cmd.symbols);
      return;
    }
    if (cmd.since === undefined) {
      client.filter.add(cmd.symbols);
      if (client.state === 'idle') client.state = 'live';
      return;
    }
    // A subscribe with `since` replaces the subscription and restarts the stream from that point.
    client.generation += 1;
    const gen = client.generation;
    client.filter.reset();
    client.filter.add(cmd.symbols);
    client.pending = [];
    client.state = 'catching_up';
    resume(this.#ctx, client, cmd.since, gen).catch((err: unknown) => {
      // A bug, not a client problem: say so loudly and release the client rather than leave it hanging.
      this.#log.error({ err, client: client.id }, 'resume failed unexpectedly');
      client.close(1011, 'internal error during resume');
    });
  }
}
