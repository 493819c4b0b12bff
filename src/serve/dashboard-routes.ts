/**
 * Read-only routes for the operator's dashboard (src/serve/dashboard/), any key type. Answers:
 *
 *   GET /v1/candles/:symbol?limit=N   {symbol, timeframe, candles: CandleJson[]}   newest N, oldest first
 *                                     (default 300, capped at 1000); 404 for a symbol this instance does not track
 *   GET /v1/signals?symbol=&limit=N   {signals: SignalJson[]}   the newest N stored signals (all symbols, or one),
 *                                     oldest first, each with its outcome once resolved (default 50, cap 500)
 *   GET /v1/models                    {active_version, models: ModelJson[]}   newest first
 *   GET /v1/retrain/:id               a retrain request: {request_id, status, model_version, error, ...}; 404 if unknown
 *   GET /v1/status                    DaemonStatus + ws_subscribers: feed, series, symbols, outbox, tick latency,
 *                                     model version, leadership
 *   GET /v1/drift?limit=N             {drift: DriftJson[]}   the newest N ml_model_drift records, oldest first
 *                                     (default 50, cap 500)
 *   GET /v1/backtests?limit=N         {backtests: BacktestJson[]}   the newest N recorded walk-forward runs
 *                                     (ml_backtests), newest first (default 1, cap 10)
 *   GET /vendor/lightweight-charts.mjs   the charting library's standalone ES module build (no key: it is public code)
 *
 * A `limit` that is not a positive integer is a 400; a larger one than the cap is lowered to it.
 * Shapes: serve/dashboard-json.ts.
 */
import { readFile } from 'node:fs/promises';
import type { Timeframe } from '../domain/timeframe.ts';
import type { Store } from '../store/store.ts';
import { backtestJson, driftJson, candleJson, modelJson, retrainJson, signalJson } from './dashboard-json.ts';
import { ApiError } from './errors.ts';
import { newestSignals } from './recent-signals.ts';
import { exact, paramAfter, resolveSymbol, type Route } from './routes.ts';
import type { ApiDeps } from './types.ts';

type MaybePromise<T> = T | Promise<T>;

export type DashboardStore = Pick<Store, 'readCandles' | 'readPredictions' | 'listCandleSeries' | 'listModels' | 'getRetrain' | 'listDrift' | 'listBacktests'>;

/** What the daemon knows about itself right now (GET /v1/status adds ws_subscribers). */
export interface DaemonStatus {
  phase: string;
  feed: { state: string; error: string | null };
  series: { symbol: string; timeframe: string }[];
  outbox: { depth: number; state: string; degraded: boolean; oldest_age_s: number; last_error: string | null };
  /** Tick latency (feed → subscribers) over the last `window_s` seconds (null: since start); null figures when no tick ran in it. */
  tick_latency: { p50_ms: number | null; p99_ms: number | null; ticks: number; window_s: number | null };
  model_version: string;
  /** What serves the model: 'onnx' (ONNX Runtime) or 'tfjs'; null while the rule consensus serves. */
  inference_runtime: 'onnx' | 'tfjs' | null;
  leadership: string | null;
  /** One line per sink of SINKS_FILE (empty without one). */
  sinks?: { name: string; kind: string; state: string; queue_depth: number; delivered: number; failed: number; dead_letters: number; dropped: number; last_error: string | null }[];
}

export interface DashboardViews {
  store: DashboardStore;
  /** The timeframe of a symbol this instance handles, else undefined. */
  timeframeOf(symbol: string): Timeframe | undefined;
  status(): MaybePromise<DaemonStatus>;
  /** Where lightweight-charts' standalone ES module build is; its route is absent without it. */
  chartsModule?: string;
}

export const LIMITS = {
  candles: { default: 300, max: 1000 },
  signals: { default: 50, max: 500 },
  drift: { default: 50, max: 500 },
  backtests: { default: 1, max: 10 },
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `?limit=`: absent → the default; not a positive integer → 400; above the cap → the cap. */
export function parseLimit(url: URL, l: { default: number; max: number }): number {
  const raw = url.searchParams.get('limit');
  if (raw === null || raw === '') return l.default;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) < 1) {
    throw new ApiError(400, 'INVALID_QUERY', `limit must be a whole number from 1 to ${l.max}; got ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Math.min(Number(raw), l.max);
}

const urlOf = (req: { url?: string }) => new URL(req.url ?? '/', 'http://localhost');

export function dashboardRoutes(deps: Pick<ApiDeps, 'knownSymbols'>, views: DashboardViews, live: { subscribers(): number }): Route[] {
  const { store } = views;
  const routes: Route[] = [
    {
      method: 'GET',
      pattern: '/v1/candles/:symbol',
      match: paramAfter('/v1/candles/'),
      auth: 'any',
      handle: async ({ req, params }) => {
        const limit = parseLimit(urlOf(req), LIMITS.candles);
        const symbol = resolveSymbol(deps, params[0]!);
        const timeframe = views.timeframeOf(symbol);
        if (!timeframe) throw new ApiError(404, 'UNKNOWN_SYMBOL', `${symbol} is not tracked by this instance (check SYMBOLS and SHARD)`);
        const candles = await store.readCandles({ symbol, timeframe, limit, latest: true });
        return { status: 200, json: { symbol, timeframe, candles: candles.map(candleJson) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/signals',
      match: exact('/v1/signals'),
      auth: 'any',
      handle: async ({ req }) => {
        const url = urlOf(req);
        const limit = parseLimit(url, LIMITS.signals);
        const raw = url.searchParams.get('symbol');
        const symbols = raw ? [resolveSymbol(deps, encodeURIComponent(raw))] : undefined;
        const rows = await newestSignals(store, { limit, ...(symbols ? { symbols } : {}) });
        return { status: 200, json: { signals: rows.map(signalJson) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/models',
      match: exact('/v1/models'),
      auth: 'any',
      handle: async () => {
        const models = (await store.listModels()).sort((a, b) => b.createdAt - a.createdAt);
        return { status: 200, json: { active_version: models.find((m) => m.isActive)?.version ?? null, models: models.map(modelJson) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/retrain/:id',
      match: paramAfter('/v1/retrain/'),
      auth: 'any',
      handle: async ({ params }) => {
        const id = params[0]!;
        if (!UUID.test(id)) throw new ApiError(400, 'INVALID_REQUEST_ID', 'a retrain request id is the UUID POST /v1/retrain answered with');
        const r = await store.getRetrain(id);
        if (!r) throw new ApiError(404, 'UNKNOWN_REQUEST', `no retrain request ${id}`);
        return { status: 200, json: retrainJson(r) };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/status',
      match: exact('/v1/status'),
      auth: 'any',
      handle: async () => {
        const s = await views.status();
        return { status: 200, json: { ...s, symbols: s.series.map((x) => x.symbol), ws_subscribers: live.subscribers(), time: new Date().toISOString() } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/drift',
      match: exact('/v1/drift'),
      auth: 'any',
      handle: async ({ req }) => {
        const limit = parseLimit(urlOf(req), LIMITS.drift);
        const rows = await store.listDrift(limit);
        return { status: 200, json: { drift: rows.sort((a, b) => a.createdAt - b.createdAt).map(driftJson) } };
      },
    },
    {
      method: 'GET',
      pattern: '/v1/backtests',
      match: exact('/v1/backtests'),
      auth: 'any',
      handle: async ({ req }) => {
        const rows = await store.listBacktests(parseLimit(urlOf(req), LIMITS.backtests));
        return { status: 200, json: { backtests: rows.map(backtestJson) } };
      },
    },
  ];
  if (views.chartsModule) routes.push(chartsRoute(views.chartsModule));
  return routes;
}

/** The one vendored file, read once; an explicit route rather than a window onto node_modules. */
function chartsRoute(file: string): Route {
  let text: Promise<string> | undefined;
  return {
    method: 'GET',
    pattern: '/vendor/lightweight-charts.mjs',
    match: exact('/vendor/lightweight-charts.mjs'),
    auth: null,
    handle: async () => {
      text ??= readFile(file, 'utf8');
      return { status: 200, text: await text.catch((err: unknown) => {
        text = undefined;
        throw err;
      }), contentType: 'text/javascript; charset=utf-8' };
    },
  };
}
