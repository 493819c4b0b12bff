/**
 * One websocket connection of a live feed (a LiveSession, venue.ts): open with a timeout, subscribe
 * with acknowledgement (the venue's protocol says how its frames and acks look), heartbeat (ping;
 * no frame or pong within one interval means the connection is stale and is terminated), and a
 * `closed` promise saying why it ended. Reconnecting is the caller's job (source.ts): a connection
 * is used once.
 */
import WebSocket from 'ws';
import type { Logger } from '../../log.ts';
import { FeedConnectError, FeedSubscribeError, type CloseCause, type IncomingFrame, type LiveSession } from './venue.ts';

/** How one venue subscribes over a websocket, and how it acknowledges. */
export interface SubscribeProtocol {
  /** The frames that subscribe to `streams`, sent one after the other, each with the id its ack carries. */
  subscribeFrames(streams: readonly string[], nextId: () => number): { id: number; text: string }[];
  /** An answer to one of our frames (`error` set when refused), or undefined for any other frame. */
  parseAck(value: unknown): { id: unknown; error?: { message: string; raw: unknown } } | undefined;
}

export interface ConnectionOptions {
  url: string;
  heartbeatMs: number;
  connectTimeoutMs: number;
  subscribeTimeoutMs: number;
  /** Largest frame accepted; a bigger one closes the connection (ws's maxPayload). */
  maxFrameBytes?: number;
  protocol: SubscribeProtocol;
  onFrame: (frame: IncomingFrame) => void;
  log: Logger;
}

export class StreamConnection implements LiveSession {
  readonly closed: Promise<{ cause: CloseCause; detail: string }>;
  private readonly ws: WebSocket;
  private heartbeat: NodeJS.Timeout | undefined;
  private alive = true;
  private cause: CloseCause | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();

  private constructor(
    private readonly opts: ConnectionOptions,
    ws: WebSocket,
  ) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.stopHeartbeat();
        for (const p of this.pending.values()) p.reject(new FeedSubscribeError('connection closed before the subscription was acknowledged'));
        this.pending.clear();
        resolve({ cause: this.cause ?? 'remote_close', detail: `code ${code}${reason.length ? ` ${reason.toString().slice(0, 100)}` : ''}` });
      });
    });
    ws.on('error', (err) => {
      this.cause ??= 'error';
      opts.log.debug({ err }, 'feed socket error');
    });
    ws.on('pong', () => {
      this.alive = true;
    });
    ws.on('message', (data, isBinary) => this.onMessage(data, isBinary));
  }

  /** Opens the socket; rejects with FeedConnectError on failure, timeout or abort. */
  static open(opts: ConnectionOptions, signal: AbortSignal): Promise<StreamConnection> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, { handshakeTimeout: opts.connectTimeoutMs, maxPayload: opts.maxFrameBytes ?? 1 << 20 });
      const conn = new StreamConnection(opts, ws);
      const fail = (err: unknown) => {
        cleanup();
        conn.terminate('error');
        reject(err instanceof FeedConnectError ? err : new FeedConnectError(`cannot connect to ${opts.url}: ${(err as Error)?.message ?? err}`, err));
      };
      const onAbort = () => fail(new FeedConnectError('connect aborted'));
      const onOpen = () => {
        cleanup();
        conn.startHeartbeat();
        resolve(conn);
      };
      const onClose = () => fail(new FeedConnectError(`connection to ${opts.url} closed during the handshake`));
      const cleanup = () => {
        ws.off('open', onOpen);
        ws.off('error', fail);
        ws.off('close', onClose);
        signal.removeEventListener('abort', onAbort);
      };
      ws.once('open', onOpen);
      ws.once('error', fail);
      ws.once('close', onClose);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Subscribes to `streams`, frame by frame; rejects with FeedSubscribeError on refusal or timeout. */
  async subscribe(streams: readonly string[]): Promise<void> {
    for (const { id, text } of this.opts.protocol.subscribeFrames(streams, () => this.nextId++)) {
      const acked = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new FeedSubscribeError(`no answer to SUBSCRIBE within ${this.opts.subscribeTimeoutMs} ms`, { id }));
        }, this.opts.subscribeTimeoutMs);
        this.pending.set(id, {
          resolve: () => (clearTimeout(timer), resolve()),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
      });
      try {
        this.ws.send(text);
      } catch (err) {
        this.pending.get(id)?.reject(new FeedSubscribeError(`cannot send SUBSCRIBE: ${(err as Error).message}`));
        this.pending.delete(id);
      }
      await acked;
    }
  }

  /** Closes now (no close handshake: the peer may be gone). Idempotent. */
  terminate(cause: CloseCause = 'local'): void {
    this.cause ??= cause;
    this.stopHeartbeat();
    if (this.ws.readyState !== WebSocket.CLOSED) this.ws.terminate();
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    this.alive = true;
    const text = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    if (isBinary) {
      this.opts.onFrame({ ok: false, text, error: 'binary frame' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.opts.onFrame({ ok: false, text, error: (err as Error).message });
      return;
    }
    const ack = this.opts.protocol.parseAck(value);
    if (ack) {
      const p = typeof ack.id === 'number' ? this.pending.get(ack.id) : undefined;
      if (!p) return; // an answer to nothing we asked: ignore
      this.pending.delete(ack.id as number);
      if (ack.error) p.reject(new FeedSubscribeError(`exchange refused SUBSCRIBE: ${ack.error.message}`, { error: ack.error.raw }));
      else p.resolve();
      return;
    }
    this.opts.onFrame({ ok: true, value });
  }

  private startHeartbeat(): void {
    this.heartbeat = setInterval(() => {
      if (!this.alive) {
        this.opts.log.warn({ heartbeatMs: this.opts.heartbeatMs }, 'feed connection stale: no frame or pong within one heartbeat; reconnecting');
        this.terminate('stale');
        return;
      }
      this.alive = false;
      try {
        this.ws.ping();
      } catch {
        // closing already; the close handler reports it
      }
    }, this.opts.heartbeatMs);
    this.heartbeat.unref();
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
