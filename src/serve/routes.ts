/**
 * The route table (DESIGN.md "HTTP"): each route's method, auth, body limit and handler. Handlers
 * get parsed input and return a Reply; turning errors into the JSON envelope is the server's job.
 */
import type { IncomingMessage } from 'node:http';
import type { ZodType } from 'zod';
import type { ApiKeyType } from '../store/types.ts';
import { ApiError } from './errors.ts';
import { readJson } from './body.ts';
import { describeIssues, predictBody, retrainBody } from './schemas.ts';
import { normalizeSymbol } from './symbols.ts';
import type { ApiDeps, ApiOptions, Principal } from './types.ts';

export type Reply = { status: number; json: unknown; headers?: Record<string, string> } | { status: number; text: string; contentType: string };

export interface RouteInput {
  req: IncomingMessage;
  params: string[];
  /** The validated key, on routes that need one. */
  principal: Principal | null;
}

/** Header an Edge Function sets to name the user it calls for; recorded as requested_by. */
export const REQUESTED_BY_HEADER = 'x-signalbase-requested-by';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requestedBy(req: IncomingMessage): string | null {
  const v = req.headers[REQUESTED_BY_HEADER];
  if (v === undefined) return null;
  if (typeof v !== 'string' || !UUID.test(v.trim())) throw new ApiError(400, 'INVALID_REQUESTED_BY', `${REQUESTED_BY_HEADER} must be a user id (uuid)`);
  return v.trim().toLowerCase();
}

export interface Route {
  method: 'GET' | 'POST';
  /** The pattern reported in logs and metrics, e.g. /v1/indicators/:symbol. */
  pattern: string;
  match(path: string): string[] | null;
  /** null: no key needed. */
  auth: readonly ApiKeyType[] | 'any' | null;
  handle(input: RouteInput): Promise<Reply>;
}

export const exact = (p: string) => (path: string): string[] | null => (path === p ? [] : null);
const ALL_TYPES = 'any' as const;

/** Matches <prefix><rest> with a non-empty rest, e.g. /v1/indicators/LTC%2FBTC (an unencoded slash in rest is kept). */
export const paramAfter = (prefix: string) => (path: string): string[] | null =>
  path.startsWith(prefix) && path.length > prefix.length ? [path.slice(prefix.length)] : null;
const symbolParam = paramAfter('/v1/indicators/');

async function body<T>(req: IncomingMessage, limit: number, schema: ZodType<T>): Promise<T> {
  const raw = await readJson(req, limit);
  const parsed = schema.safeParse(raw ?? {});
  if (!parsed.success) throw new ApiError(400, 'INVALID_BODY', describeIssues(parsed.error));
  return parsed.data;
}

/** The canonical symbol for a path segment (percent-encoded, or LTC-BTC / LTCBTC); 400 or 404 otherwise. */
export function resolveSymbol(deps: Pick<ApiDeps, 'knownSymbols'>, raw: string): string {
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    throw new ApiError(400, 'INVALID_SYMBOL', 'the symbol is not valid percent-encoding');
  }
  const known = deps.knownSymbols?.() ?? [];
  const s = normalizeSymbol(decoded, known);
  if (s !== null) return s;
  if (/^[A-Za-z0-9]{2,40}$/.test(decoded.trim())) {
    throw new ApiError(404, 'UNKNOWN_SYMBOL', `unknown symbol ${JSON.stringify(decoded)}; write it as BASE/QUOTE, e.g. LTC%2FBTC or LTC-BTC`);
  }
  throw new ApiError(400, 'INVALID_SYMBOL', 'a symbol looks like LTC/BTC (URL-encoded LTC%2FBTC), LTC-BTC or LTCBTC');
}

export function buildRoutes(deps: ApiDeps, opts: ApiOptions): Route[] {
  return [
    {
      method: 'GET',
      pattern: '/healthz',
      match: exact('/healthz'),
      auth: null,
      handle: async () => ({ status: 200, json: { status: 'ok' } }),
    },
    {
      method: 'GET',
      pattern: '/readyz',
      match: exact('/readyz'),
      auth: null,
      handle: async () => {
        let r;
        try {
          r = await deps.readiness();
        } catch (err) {
          deps.logger.warn({ err }, 'readiness check failed');
          return { status: 503, json: { status: 'not_ready', reasons: ['readiness check failed'] } };
        }
        return r.ready
          ? { status: 200, json: { status: 'ready', reasons: [] } }
          : { status: 503, json: { status: 'not_ready', reasons: r.reasons } };
      },
    },
    {
      method: 'GET',
      pattern: '/metrics',
      match: exact('/metrics'),
      auth: opts.metricsAuth,
      handle: async () => ({ status: 200, text: await deps.registry.metrics(), contentType: deps.registry.contentType }),
    },
    {
      method: 'POST',
      pattern: '/v1/predict',
      match: exact('/v1/predict'),
      auth: ['prediction', 'admin'],
      handle: async ({ req, principal }) => {
        const caller = { keyId: principal?.keyId ?? null, requestedBy: requestedBy(req) };
        const b = await body(req, opts.predictBodyLimitBytes, predictBody);
        const symbol = resolveSymbol(deps, b.symbol);
        const signal = await deps.predict(symbol, b.candles, caller);
        return { status: 200, json: signal };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/retrain',
      match: exact('/v1/retrain'),
      auth: ['admin'],
      handle: async ({ req }) => {
        const b = await body(req, opts.retrainBodyLimitBytes, retrainBody);
        const r = await deps.retrain(b.force ?? false, b.reason ?? null);
        return { status: 202, json: { request_id: r.request_id } };
      },
    },
    {
      method: 'POST',
      pattern: '/v1/drift/check',
      match: exact('/v1/drift/check'),
      auth: ['admin'],
      handle: async () => {
        if (!deps.driftCheck) throw new ApiError(503, 'NOT_READY', 'drift checks are not available in this process');
        const report = await deps.driftCheck();
        if (report === null) throw new ApiError(409, 'NO_MODEL', 'no model is active yet: there is nothing to check for drift');
        return { status: 200, json: report };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/indicators/:symbol',
      match: symbolParam,
      auth: ALL_TYPES,
      handle: async ({ params }) => {
        const symbol = resolveSymbol(deps, params[0]!);
        const snap = await deps.indicators(symbol);
        if (snap === null) throw new ApiError(404, 'UNKNOWN_SYMBOL', `no indicators for ${symbol}: not tracked by this instance, or no candle yet`);
        return { status: 200, json: snap };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/dashboard',
      match: exact('/v1/dashboard'),
      auth: ALL_TYPES,
      handle: async () => ({ status: 200, json: await deps.dashboard() }),
    },
  ];
}

export type RouteMatch = { route: Route; params: string[] } | { allowed: string[]; pattern: string } | null;

/**
 * The route for (method, path); or the methods the path allows (405); or null (no such path).
 * HEAD is answered as GET (node:http leaves the body out).
 */
export function matchRoute(routes: readonly Route[], requestMethod: string, path: string): RouteMatch {
  const method = requestMethod === 'HEAD' ? 'GET' : requestMethod;
  const allowed: string[] = [];
  let pattern = '';
  for (const route of routes) {
    const params = route.match(path);
    if (params === null) continue;
    if (route.method === method) return { route, params };
    allowed.push(route.method);
    pattern = route.pattern;
  }
  return allowed.length ? { allowed, pattern } : null;
}
