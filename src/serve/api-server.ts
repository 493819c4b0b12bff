/**
 * The HTTP API and the websocket stream on one port (node:http + ws, no framework).
 *
 *   request ──► route table ──► key (cache) ──► hourly limit ──► key type ──► bounded body ──► handler
 *   upgrade /v1/stream ──► key (header or ?key=) ──► limit ──► ws handshake ──► StreamHub
 *
 * Every answer is JSON; every error is {"error":{"code","message"}}. Every request is logged at
 * debug with method, route pattern, status and duration, never with its key or query string.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import { systemClock } from '../domain/clock.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { Authenticator, extractKey } from './auth.ts';
import { clientAddress, FailureThrottle } from './failure-throttle.ts';
import { StoreRateLimiter } from './key-usage.ts';
import { discardRemainder } from './body.ts';
import { dashboardRoutes } from './dashboard-routes.ts';
import { scorecardRoute } from './scorecard-route.ts';
import { ApiError, toApiError } from './errors.ts';
import { KeyCache } from './key-cache.ts';
import { serveMetrics } from './metrics.ts';
import { HourlyRateLimiter } from './rate-limiter.ts';
import { SECURITY_HEADERS, rejectUpgrade, sendError, sendJson } from './respond.ts';
import { buildRoutes, matchRoute, type Reply } from './routes.ts';
import { resolveStatic, sendFile } from './static.ts';
import { StreamHub } from './stream-hub.ts';
import type { ApiDeps, ApiOptions } from './types.ts';

export const DEFAULT_API_OPTIONS: ApiOptions = {
  keyCacheValidTtlMs: 30_000,
  keyCacheInvalidTtlMs: 5_000,
  keyCacheMaxEntries: 10_000,
  rateLimitMaxKeys: 10_000,
  keyPattern: null,
  keyFailures: { maxFailures: 20, windowMs: 60_000, blockMs: 60_000, maxAddresses: 10_000 },
  // Warm-up plus one model window of candles is a few KiB; this leaves room for verbose JSON.
  predictBodyLimitBytes: 256 * 1024,
  retrainBodyLimitBytes: 64 * 1024,
  discardLimitBytes: 16 * 1024 * 1024,
  shutdownDeadlineMs: 5_000,
  headersTimeoutMs: 15_000,
  streamAllowedOrigins: null,
  trustedProxies: null,
  metricsAuth: null,
  stream: {},
};

export const STREAM_PATH = '/v1/stream';

export interface ApiServer {
  /** Where the daemon publishes signals, outcomes, model and drift events. */
  readonly hub: StreamHub;
  /** The bound port once started, else null. */
  readonly port: number | null;
  /** Listens; resolves to the actual port (pass 0 for any free port). */
  start(port: number, host?: string): Promise<number>;
  /** Stops accepting, closes websocket clients with 1001, closes the server; cuts what is left at the deadline. Idempotent. */
  stop(): Promise<void>;
}

function parseUrl(raw: string | undefined): URL {
  try {
    return new URL(raw ?? '/', 'http://localhost');
  } catch {
    throw new ApiError(400, 'INVALID_URL', 'the request URL cannot be parsed');
  }
}

/**
 * `hub`: the stream hub to serve (the daemon creates it first, as its first sink); without one the
 * server makes its own. Either way the server attaches clients to it and stops it on stop()
 * (StreamHub.stop is idempotent).
 */
export function createApiServer(deps: ApiDeps & { hub?: StreamHub }): ApiServer {
  const opts: ApiOptions = { ...DEFAULT_API_OPTIONS, ...deps.options, stream: { ...deps.options?.stream } };
  const clock = deps.clock ?? systemClock;
  const log = deps.logger.child({ module: 'api' });
  const metrics = serveMetrics(deps.registry);
  const keys = new KeyCache(deps.keys, {
    clock,
    validTtlMs: opts.keyCacheValidTtlMs,
    invalidTtlMs: opts.keyCacheInvalidTtlMs,
    maxEntries: opts.keyCacheMaxEntries,
  });
  const memoryLimiter = new HourlyRateLimiter({ clock, maxKeys: opts.rateLimitMaxKeys });
  const limiter = deps.keyUsage
    ? new StoreRateLimiter({ usage: deps.keyUsage, fallback: memoryLimiter, clock, maxKeys: opts.rateLimitMaxKeys, log })
    : memoryLimiter;
  const auth = new Authenticator(keys, limiter, {
    keyPattern: opts.keyPattern,
    throttle: new FailureThrottle(opts.keyFailures, clock),
    onFailure: (reason) => metrics.keyFailures.inc({ reason }),
  });
  const hub =
    deps.hub ??
    new StreamHub({
      history: deps.signals,
      registry: deps.registry,
      logger: deps.logger,
      clock,
      ...(deps.knownSymbols ? { knownSymbols: () => deps.knownSymbols!() } : {}),
      options: opts.stream,
    });
  const routes = [
    ...buildRoutes(deps, opts),
    ...(deps.dashboardViews ? dashboardRoutes(deps, deps.dashboardViews, { subscribers: () => hub.clientCount }) : []),
    ...(deps.scorecard ? [scorecardRoute(deps, { scorecard: deps.scorecard })] : []),
  ];
  const wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: hub.options.maxMessageBytes });
  // headersTimeout covers upgrades too: a socket that never finishes its request (or its websocket
  // handshake request) gets 408 and is closed; the check runs every second, not node's default 30 s.
  const server = createServer({
    requestTimeout: Math.max(30_000, opts.headersTimeoutMs + 1_000),
    headersTimeout: opts.headersTimeoutMs,
    keepAliveTimeout: 5_000,
    connectionsCheckingInterval: Math.min(1_000, opts.headersTimeoutMs),
  });
  const upgrading = new Set<Duplex>();
  let stopping = false;
  let stopped: Promise<void> | undefined;
  let port: number | null = null;

  const record = (method: string, route: string, status: number, t0: number) => {
    const seconds = (performance.now() - t0) / 1000;
    metrics.httpRequests.inc({ route, status: String(status) });
    metrics.httpDuration.observe({ route }, seconds);
    log.debug({ method, route, status, duration_ms: Math.round(seconds * 1e4) / 10 }, 'request');
  };

  async function dispatch(req: IncomingMessage, res: ServerResponse, setRoute: (r: string) => void): Promise<Reply | null> {
    if (stopping) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down', { headers: { Connection: 'close' } });
    const url = parseUrl(req.url);
    const method = req.method ?? 'GET';
    const m = matchRoute(routes, method, url.pathname);
    if (m === null) {
      if (url.pathname === STREAM_PATH) {
        setRoute(STREAM_PATH);
        throw new ApiError(426, 'UPGRADE_REQUIRED', `${STREAM_PATH} is a websocket endpoint`, { headers: { Upgrade: 'websocket' } });
      }
      if (deps.staticDir && (method === 'GET' || method === 'HEAD') && !url.pathname.startsWith('/v1/')) {
        const file = await resolveStatic(deps.staticDir, url.pathname);
        if (file) {
          setRoute('static');
          await sendFile(res, file, method === 'HEAD');
          return null;
        }
      }
      throw new ApiError(404, 'NOT_FOUND', `no route for ${method} ${url.pathname}`);
    }
    if ('allowed' in m) {
      setRoute(m.pattern);
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${m.pattern} accepts ${m.allowed.join(', ')}`, { headers: { Allow: m.allowed.join(', ') } });
    }
    setRoute(m.route.pattern);
    const principal = m.route.auth !== null ? await auth.authenticate(extractKey(req, null), m.route.auth, clientAddress(req, opts.trustedProxies)) : null;
    return m.route.handle({ req, params: m.params, principal });
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = performance.now();
    const method = req.method ?? 'GET';
    let route = 'unmatched';
    let status = 500;
    try {
      const reply = await dispatch(req, res, (r) => {
        route = r;
      });
      if (reply === null) {
        status = res.statusCode;
      } else if ('json' in reply) {
        status = reply.status;
        sendJson(res, reply.status, reply.json, reply.headers);
      } else {
        status = reply.status;
        res.writeHead(reply.status, { ...SECURITY_HEADERS, 'Content-Type': reply.contentType, 'Cache-Control': 'no-store' });
        res.end(reply.text);
      }
    } catch (err) {
      const e = toApiError(err);
      status = e.status;
      if (e.code === 'INTERNAL') log.error({ err, route }, 'request failed');
      else if (e.status >= 500) log.warn({ err, route, code: e.code }, 'request refused');
      if (res.headersSent) res.destroy();
      else sendError(res, e);
      // Whatever body is left is drained, bounded, so the client can read this answer.
      discardRemainder(req, opts.discardLimitBytes);
    } finally {
      record(method, route, status, t0);
    }
  }

  async function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const t0 = performance.now();
    let status = 101;
    socket.on('error', (err) => log.debug({ err }, 'upgrade socket error'));
    upgrading.add(socket);
    try {
      const url = parseUrl(req.url);
      if (url.pathname !== STREAM_PATH) throw new ApiError(404, 'NOT_FOUND', `no websocket endpoint at ${url.pathname}; use ${STREAM_PATH}`);
      if (!hub.accepting) {
        throw new ApiError(503, stopping ? 'SHUTTING_DOWN' : 'TOO_MANY_CLIENTS', stopping ? 'the server is shutting down' : 'too many stream clients; try again later');
      }
      const origin = req.headers.origin;
      if (opts.streamAllowedOrigins !== null && origin !== undefined && !opts.streamAllowedOrigins.includes(origin)) {
        throw new ApiError(403, 'ORIGIN_NOT_ALLOWED', 'this Origin may not open the stream (STREAM_ALLOWED_ORIGINS)');
      }
      const key = extractKey(req, url);
      const principal = await auth.authenticate(key, 'any', clientAddress(req, opts.trustedProxies));
      if (!hub.acceptingKey(principal.keyId)) {
        throw new ApiError(429, 'TOO_MANY_SOCKETS', `this key already holds ${hub.options.maxSocketsPerKey} stream sockets; close one first`, {
          headers: { 'Retry-After': '5' },
        });
      }
      if (socket.destroyed) return;
      if (stopping) throw new ApiError(503, 'SHUTTING_DOWN', 'the server is shutting down');
      wss.handleUpgrade(req, socket, head, (ws) => {
        hub.attach(ws, { keyName: principal.keyName, keyId: principal.keyId, ...(key ? { revalidate: () => auth.isStillValid(key) } : {}) });
      });
    } catch (err) {
      const e = toApiError(err);
      status = e.status;
      if (e.code === 'INTERNAL') log.error({ err }, 'upgrade failed');
      rejectUpgrade(socket, e);
    } finally {
      upgrading.delete(socket);
      record('GET', STREAM_PATH, status, t0);
    }
  }

  server.on('request', (req, res) => void onRequest(req, res));
  server.on('upgrade', (req, socket, head) => void onUpgrade(req, socket, head));
  server.on('clientError', (err, socket) => {
    log.debug({ err }, 'malformed HTTP request');
    const timedOut = (err as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const line = timedOut ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${line}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    else socket.destroy();
  });

  async function stopAll(): Promise<void> {
    stopping = true;
    const deadline = opts.shutdownDeadlineMs;
    const closed = port === null ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const s of upgrading) s.destroy();
    try {
      await hub.stop(deadline);
    } catch (err) {
      log.warn({ err }, 'stream hub did not stop cleanly');
    }
    try {
      wss.close();
    } catch (err) {
      log.debug({ err }, 'websocket server close failed');
    }
    let timer: NodeJS.Timeout | undefined;
    const late = await Promise.race([
      closed.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), deadline);
      }),
    ]);
    clearTimeout(timer);
    if (late) {
      log.warn('HTTP connections cut at the shutdown deadline');
      server.closeAllConnections();
      await closed;
    }
    log.info('API server stopped');
  }

  return {
    hub,
    get port() {
      return port;
    },
    async start(p: number, host = '0.0.0.0'): Promise<number> {
      if (port !== null) return port;
      if (stopping) throw new SignalbaseError('SERVER_STOPPED', 'the API server was stopped; create a new one');
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          reject(
            new SignalbaseError('LISTEN_FAILED', `cannot listen on ${host}:${p} (${err.code ?? err.message}); set PORT to a free port`, {
              context: { host, port: p },
              cause: err,
            }),
          );
        };
        server.once('error', onError);
        server.listen(p, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      port = (server.address() as AddressInfo).port;
      hub.start();
      log.info({ host, port }, 'API listening');
      return port;
    },
    stop(): Promise<void> {
      stopped ??= stopAll();
      return stopped;
    },
  };
}
