/**
 * A TCP proxy on 127.0.0.1 in front of a real server (Postgres in the e2e tests) that a test can
 * cut and heal, to stage a store outage without touching the server:
 *
 *   const proxy = await TcpProxy.start({ host: '127.0.0.1', port: 5432 });
 *   // give the process under test postgres://postgres@127.0.0.1:${proxy.port}/test
 *   proxy.cut('blackhole');   // every open connection is reset; new ones hang (a partition)
 *   proxy.cut('refuse');      // ... or new ones are reset at once (a server that is down)
 *   proxy.stall();            // ... or open connections go silent, unreset (a dead route)
 *   proxy.heal();             // new connections are forwarded again
 *   await proxy.close();
 *
 * While cut the listening socket stays open (so nobody else can take the port); a refused
 * connection is accepted and immediately reset, a blackholed one is accepted and never answered
 * until heal() or close() resets it. Only loopback is ever listened on.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type CutMode = 'refuse' | 'blackhole';

export interface ProxyTarget {
  host: string;
  port: number;
}

export class TcpProxy {
  /** Client/upstream pairs currently forwarding. */
  readonly #pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** Connections accepted while blackholed, held unanswered. */
  readonly #held = new Set<Socket>();
  #mode: CutMode | null = null;
  #forwarded = 0;
  #rejected = 0;
  #closing: Promise<void> | null = null;

  private constructor(
    private readonly server: Server,
    private readonly target: ProxyTarget,
    readonly port: number,
  ) {
    server.on('connection', (socket) => this.#accept(socket));
  }

  /** Listens on 127.0.0.1 (a free port unless `port` is given) and forwards to `target`. */
  static start(target: ProxyTarget, port = 0): Promise<TcpProxy> {
    const server = createServer();
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        const addr = server.address();
        if (!addr || typeof addr !== 'object') return reject(new Error('tcp proxy: no address'));
        resolve(new TcpProxy(server, target, addr.port));
      });
    });
  }

  /** 'up', or how new connections are treated while cut. */
  get state(): 'up' | CutMode {
    return this.#mode ?? 'up';
  }

  /** Connections forwarding right now. */
  get open(): number {
    return this.#pairs.size;
  }

  /** Connections forwarded since start. */
  get forwarded(): number {
    return this.#forwarded;
  }

  /** Connections reset or blackholed since start (attempts made while cut). */
  get rejected(): number {
    return this.#rejected;
  }

  /** Resets every open connection and refuses or blackholes new ones until heal(). */
  cut(mode: CutMode = 'refuse'): void {
    this.#mode = mode;
    for (const p of this.#pairs) {
      reset(p.client);
      reset(p.upstream);
    }
    this.#pairs.clear();
  }

  /**
   * Open connections go silent without being reset (packets dropped on a dead route, so neither end
   * learns of it); new ones are blackholed. heal() resets the stalled ones.
   */
  stall(): void {
    this.#mode = 'blackhole';
    for (const p of this.#pairs) {
      p.client.unpipe(p.upstream);
      p.upstream.unpipe(p.client);
      p.client.pause();
      p.upstream.pause();
      this.#held.add(p.client);
      this.#held.add(p.upstream);
    }
    this.#pairs.clear();
  }

  /** Forwards new connections again; blackholed ones still waiting are reset. */
  heal(): void {
    this.#mode = null;
    this.#releaseHeld();
  }

  /** Stops listening and resets everything. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      this.#mode = 'refuse';
      this.cut('refuse');
      this.#releaseHeld();
      this.server.close(() => resolve());
    });
    return this.#closing;
  }

  #releaseHeld(): void {
    for (const s of this.#held) reset(s);
    this.#held.clear();
  }

  #accept(client: Socket): void {
    client.on('error', () => undefined); // resets are the point here
    if (this.#mode === 'refuse') {
      this.#rejected++;
      reset(client);
      return;
    }
    if (this.#mode === 'blackhole') {
      this.#rejected++;
      this.#held.add(client);
      client.once('close', () => this.#held.delete(client));
      return;
    }
    this.#forwarded++;
    const upstream = connect({ host: this.target.host, port: this.target.port });
    upstream.on('error', () => undefined);
    const pair = { client, upstream };
    this.#pairs.add(pair);
    const drop = () => {
      if (!this.#pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.once('close', drop);
    upstream.once('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  }
}

/** Closes with a TCP RST (as a dead peer or a dropped route looks to the other end). */
function reset(s: Socket): void {
  if (s.destroyed) return;
  try {
    s.resetAndDestroy();
  } catch {
    s.destroy();
  }
}
