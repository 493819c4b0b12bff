/**
 * The dashboard's read-only routes over the real embedded store (PGlite in memory, migrated): real
 * Binance candles (data/sample) and signals stored through the Store port, models with the metadata
 * the training job records, retrain requests, drift records. Also the recent-latency estimate the
 * status route reports, against hand-computed histogram quantiles.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { bucketQuantile, RecentLatencyWindow } from '../../src/daemon/recent-latency.ts';
import type { Candle } from '../../src/domain/candle.ts';
import { createApiServer, type ApiServer } from '../../src/serve/api-server.ts';
import { driftJson, type CandleJson, type ModelJson, type SignalJson } from '../../src/serve/dashboard-json.ts';
import type { DaemonStatus } from '../../src/serve/dashboard-routes.ts';
import { storePorts } from '../../src/serve/store-ports.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { ModelMetrics } from '../../src/store/types.ts';
import { memoryStore } from '../helpers/pg.ts';
import { candles, connect, record, silentLogger } from './helpers.ts';

const N = 120; // candles stored per symbol
let store: SqlStore;
let api: ApiServer;
let base: string;
let key: string;
let ws: string;

const status: DaemonStatus = {
  phase: 'running',
  feed: { state: 'streaming', error: null },
  series: [
    { symbol: 'LTC/BTC', timeframe: '5m' },
    { symbol: 'XLM/BTC', timeframe: '5m' },
  ],
  outbox: { depth: 3, state: 'draining', degraded: false, oldest_age_s: 0.2, last_error: null },
  tick_latency: { p50_ms: 4.1, p99_ms: 20, ticks: 17, window_s: 60 },
  model_version: 'rules',
  inference_runtime: null,
  leadership: 'leader',
};

const metrics = (f1Macro: number, profitFactor: number): ModelMetrics => ({
  accuracy: 0.5, precisionBuy: 0.4, precisionSell: 0.3, recallBuy: 0.2, recallSell: 0.1, f1Macro, winRate: 0.55,
  avgProfitPerTrade: 0.1, profitFactor, maxDrawdown: 2, sharpe: 1, sortino: 1.2, calmar: 0.8, trades: 40,
});

function storedCandles(file: 'LTC_BTC-5m.json' | 'XLM_BTC-5m.json', symbol: string): Candle[] {
  return candles(file).slice(0, N).map(([openTime, open, high, low, close, volume]) => ({ symbol, timeframe: '5m', openTime, open, high, low, close, volume }));
}

async function seed(): Promise<void> {
  await store.upsertCandles([...storedCandles('LTC_BTC-5m.json', 'LTC/BTC'), ...storedCandles('XLM_BTC-5m.json', 'XLM/BTC')]);
  const rows = [];
  for (let i = 0; i < 60; i++) rows.push(record('LTC/BTC', i), record('XLM/BTC', i));
  await store.insertPredictions(rows);
  const resolved = record('LTC/BTC', 59);
  await store.resolvePredictions([{ predictionId: resolved.id, outcome: 'TP_HIT', exitPrice: 0.0175, profitLossPct: 1.8, outcomeTime: resolved.candleTime + 3_600_000 }]);
  // Two trainings, as the training job records them: the older rejected, the newer active.
  for (const [version, pass] of [['v20260101000000-aaaaaa', false], ['v20260102000000-bbbbbb', true]] as const) {
    await store.createModel({ version, backend: 'wasm' });
    await store.updateModel(version, {
      status: 'trained',
      statusReason: pass ? 'macro F1 0.4 beats always-HOLD 0.2' : 'macro F1 0.1 does not beat always-HOLD 0.2',
      metrics: metrics(pass ? 0.4 : 0.1, 1.3),
      metadata: { gate: { pass, reason: pass ? 'passes' : 'refused' }, baselines: { alwaysHold: metrics(0.2, 0), rules: metrics(0.3, 1.1) } },
    });
    if (pass) await store.activateModel(version);
  }
  for (let i = 0; i < 3; i++) {
    await store.insertDrift({
      modelVersion: 'v20260102000000-bbbbbb', dataDriftScore: 0.1 * (i + 1), predictionDriftScore: 0.05, performanceDriftScore: null, overallDriftScore: 0.1 * (i + 1),
      featureDriftDetails: { rsi_value: { psi: 0.3 } }, driftDetected: i === 2, actionTaken: i === 2 ? 'retrain_requested' : 'none', retrainingTriggered: i === 2,
      thresholds: { psi: 0.2, ks_p: 0.05 }, status: i === 2 ? 'drift' : 'ok',
      // A minute apart: rows inserted back to back can share a now() at the clock's resolution.
      createdAt: Date.now() - (3 - i) * 60_000,
    });
  }
}

beforeAll(async () => {
  store = await memoryStore();
  await seed();
  const timeframes = new Map(status.series.map((s) => [s.symbol, '5m' as const]));
  api = createApiServer({
    ...storePorts(store),
    predict: async () => {
      throw new Error('not used');
    },
    indicators: () => null,
    readiness: () => ({ ready: true, reasons: [] }),
    knownSymbols: () => [...timeframes.keys()],
    registry: new Registry(),
    logger: silentLogger(),
    staticDir: fileURLToPath(new URL('../../src/serve/dashboard/', import.meta.url)),
    dashboardViews: {
      store,
      timeframeOf: (s) => timeframes.get(s),
      status: () => status,
      chartsModule: join(dirname(createRequire(import.meta.url).resolve('lightweight-charts/package.json')), 'dist/lightweight-charts.standalone.production.mjs'),
    },
    options: { keyCacheValidTtlMs: 0, keyCacheInvalidTtlMs: 0 },
  });
  const port = await api.start(0, '127.0.0.1');
  base = `http://127.0.0.1:${port}`;
  ws = `ws://127.0.0.1:${port}/v1/stream`;
  key = (await store.createApiKey({ name: 'viewer', type: 'stream' })).key;
}, 120_000);

afterAll(async () => {
  await api?.stop();
  await store?.close();
});

type DriftJson = ReturnType<typeof driftJson>;
interface Body {
  [k: string]: unknown;
  candles: CandleJson[];
  signals: SignalJson[];
  models: ModelJson[];
  drift: DriftJson[];
  error: { code: string };
}

async function get(path: string, k: string | null = key): Promise<{ status: number; body: Body }> {
  const res = await fetch(base + path, { headers: k ? { authorization: `Bearer ${k}` } : {} });
  return { status: res.status, body: (await res.json()) as Body };
}

describe('GET /v1/candles/:symbol', () => {
  it('answers the newest N stored candles, oldest first, with epoch-second times', async () => {
    const r = await get('/v1/candles/LTC%2FBTC?limit=5');
    expect(r.status).toBe(200);
    const want = storedCandles('LTC_BTC-5m.json', 'LTC/BTC').slice(-5);
    expect(r.body.symbol).toBe('LTC/BTC');
    expect(r.body.timeframe).toBe('5m');
    expect(r.body.candles).toEqual(
      want.map((c) => ({ time: c.openTime / 1000, open_time: new Date(c.openTime).toISOString(), open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume })),
    );
    // Symbol spellings the other routes accept; a limit above the cap is lowered, not refused.
    expect((await get('/v1/candles/XLM-BTC')).body.candles).toHaveLength(N);
    expect((await get('/v1/candles/LTC/BTC?limit=999999')).body.candles).toHaveLength(N);
  });

  it('refuses a bad limit (400) and a symbol this instance does not track (404)', async () => {
    for (const bad of ['0', '-1', '1.5', 'ten', '1e3']) {
      const r = await get(`/v1/candles/LTC%2FBTC?limit=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(r.body.error.code).toBe('INVALID_QUERY');
    }
    expect((await get('/v1/candles/DOGE%2FBTC')).status).toBe(404);
    expect((await get('/v1/candles/LTC%2FBTC', null)).status).toBe(401);
  });
});

describe('GET /v1/signals', () => {
  it('answers the newest N signals across symbols, oldest first, with the outcome once resolved', async () => {
    const r = await get('/v1/signals?limit=4');
    expect(r.status).toBe(200);
    expect(r.body.signals.map((s) => [s.symbol, s.candle_time])).toEqual([
      ['LTC/BTC', new Date(record('LTC/BTC', 58).candleTime).toISOString()],
      ['XLM/BTC', new Date(record('XLM/BTC', 58).candleTime).toISOString()],
      ['LTC/BTC', new Date(record('LTC/BTC', 59).candleTime).toISOString()],
      ['XLM/BTC', new Date(record('XLM/BTC', 59).candleTime).toISOString()],
    ]);
    const ltc = r.body.signals[2]!;
    expect(ltc).toMatchObject({ id: record('LTC/BTC', 59).id, prediction_type: 'SIGNAL', predicted_direction: 'BUY' });
    expect(ltc.outcome).toEqual({ outcome: 'TP_HIT', exit_price: 0.0175, profit_loss_pct: 1.8, outcome_time: new Date(record('LTC/BTC', 59).candleTime + 3_600_000).toISOString() });
    expect(r.body.signals[3]!.outcome).toBeNull();
  });

  it('filters by symbol (any spelling), caps the limit, refuses a bad one', async () => {
    const r = await get('/v1/signals?symbol=XLM-BTC&limit=3');
    expect(r.body.signals.map((s) => s.id)).toEqual([57, 58, 59].map((i) => record('XLM/BTC', i).id));
    expect((await get('/v1/signals?limit=100000')).body.signals).toHaveLength(120);
    expect((await get('/v1/signals?limit=abc')).status).toBe(400);
    expect((await get('/v1/signals?symbol=%3Cscript%3E')).status).toBe(400);
  });
});

describe('GET /v1/models, /v1/retrain/:id, /v1/drift, /v1/status', () => {
  it('lists model versions newest first with metrics, baselines and the gate; the active one marked', async () => {
    const r = await get('/v1/models');
    expect(r.status).toBe(200);
    expect(r.body.active_version).toBe('v20260102000000-bbbbbb');
    expect(r.body.models.map((m) => [m.version, m.status, m.is_active])).toEqual([
      ['v20260102000000-bbbbbb', 'active', true],
      ['v20260101000000-aaaaaa', 'trained', false],
    ]);
    const active = r.body.models[0]!;
    expect(active).toMatchObject({ backend: 'wasm', gate: { pass: true, reason: 'passes' } });
    expect(active.metrics).toMatchObject({ f1_macro: 0.4, profit_factor: 1.3, win_rate: 0.55, trades: 40 });
    expect(active.baselines!.always_hold!.f1_macro).toBe(0.2);
    expect(active.baselines!.rules!.profit_factor).toBe(1.1);
    expect(r.body.models[1]!.gate!.pass).toBe(false);
  });

  it('answers a retrain request by id; 404 for an unknown one, 400 for a malformed one', async () => {
    const req = await store.enqueueRetrain({ source: 'api', reason: 'dashboard' });
    const r = await get(`/v1/retrain/${req.id}`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ request_id: req.id, status: 'PENDING', source: 'api', reason: 'dashboard', model_version: null });
    await store.claimRetrain('w1');
    await store.finishRetrain(req.id, { status: 'DONE', modelVersion: 'v20260102000000-bbbbbb' });
    expect((await get(`/v1/retrain/${req.id}`)).body).toMatchObject({ status: 'DONE', model_version: 'v20260102000000-bbbbbb' });
    expect((await get('/v1/retrain/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await get('/v1/retrain/not-an-id')).status).toBe(400);
  });

  it('lists the newest drift records oldest first', async () => {
    const r = await get('/v1/drift?limit=2');
    expect(r.status).toBe(200);
    expect(r.body.drift.map((d) => [d.status, d.data_drift_score])).toEqual([
      ['ok', 0.2],
      ['drift', expect.closeTo(0.3, 12)],
    ]);
    expect(r.body.drift[1]!).toMatchObject({ drift_detected: true, thresholds: { psi: 0.2, ks_p: 0.05 }, action_taken: 'retrain_requested' });
    expect((await get('/v1/drift?limit=0')).status).toBe(400);
  });

  it('reports the daemon status, the symbol list and the live websocket subscriber count', async () => {
    const before = await get('/v1/status');
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({ ...status, symbols: ['LTC/BTC', 'XLM/BTC'], ws_subscribers: 0 });
    const sock = await connect(`${ws}?key=${key}`);
    await vi.waitFor(async () => expect((await get('/v1/status')).body.ws_subscribers).toBe(1));
    sock.ws.close();
    await vi.waitFor(async () => expect((await get('/v1/status')).body.ws_subscribers).toBe(0));
  });
});

/** A walk-forward --json document as cli/walk-forward.ts writes it (two folds; figures made up). */
function walkForwardDoc(seed: number, promoted: number) {
  const m = (avg: number, pf: number | string, trades: number) => ({ trades, win_rate: 0.4, avg_profit_per_trade: avg, profit_factor: pf, max_drawdown: 9, f1_macro: 0.27, accuracy: 0.45 });
  const fold = (index: number, day: string, served: string, status: string) => ({
    index,
    train: { from: '2018-01-10T04:55:00.000Z', to: '2018-01-17T04:55:00.000Z' },
    test: { from: `${day}T06:55:00.000Z`, to: `${day}T23:55:00.000Z` },
    model_version: served,
    trained: `v2018011704550${index}-abcdef`,
    status,
    gate: { passed: status === 'promoted', reason: status === 'promoted' ? 'passes' : 'net expectancy bound -0.03% <= 0' },
    evaluations: { model: m(-0.45, 0.65, 200), always_hold: m(0, 0, 0), rules: m(-0.5, 'Infinity', 190) },
    drift: index === 1 ? { status: 'drift', detected: true, drifted: ['prediction'], summary: 's', action: 'retrain requested' } : null,
    duration_ms: 1000,
  });
  return {
    feed: 'replay:data/sample/LTC_BTC-5m.json',
    seed,
    plan: { train_ms: 7 * 86_400_000, test_ms: 86_400_000, step_ms: 86_400_000, purge_ms: 7_200_000 },
    folds: [fold(0, '2018-01-17', 'rules', 'refused'), fold(1, '2018-01-18', 'v20180117045500-abcdef', promoted ? 'promoted' : 'refused')],
    overall: { model: m(-0.3, 0.65, 390), always_hold: m(0, 0, 0), rules: m(-0.42, 0.5, 380) },
    summary: { folds: 2, promoted, refused: 2 - promoted, failed: 0, drift_alarms: 1, scored_signals: 2304, served_by_model: 1 },
    duration_ms: 60_000,
  };
}

describe('GET /v1/backtests', () => {
  it('answers the newest recorded walk-forward runs, newest first, with folds, overall figures and the summary', async () => {
    const older = await store.insertBacktest({ kind: 'walk_forward', feed: 'replay:a', seed: 1, result: walkForwardDoc(1, 0) });
    const createdAt = (await store.listBacktests(1))[0]!.createdAt;
    await vi.waitFor(() => expect(Date.now()).toBeGreaterThan(createdAt + 2)); // two distinct recording times
    const newer = await store.insertBacktest({ kind: 'walk_forward', feed: 'replay:b', seed: 2, result: walkForwardDoc(2, 1) });
    const one = await get('/v1/backtests');
    expect(one.status).toBe(200);
    const runs = one.body.backtests as Array<ReturnType<typeof walkForwardDoc> & { id: string; kind: string; recorded_at: string }>;
    expect(runs.map((r) => [r.id, r.seed, r.feed])).toEqual([[newer, 2, 'replay:b']]);
    const run = runs[0]!;
    expect(run).toMatchObject({ kind: 'walk_forward', duration_ms: 60_000, summary: { folds: 2, promoted: 1, refused: 1, drift_alarms: 1 } });
    expect(Date.parse(run.recorded_at)).toBeGreaterThan(createdAt);
    expect(run.folds.map((f) => [f.index, f.model_version, f.status, f.evaluations.model.trades, f.evaluations.rules.profit_factor])).toEqual([
      [0, 'rules', 'refused', 200, 'Infinity'],
      [1, 'v20180117045500-abcdef', 'promoted', 200, 'Infinity'],
    ]);
    expect(run.overall).toMatchObject({ model: { avg_profit_per_trade: -0.3, trades: 390 }, always_hold: { trades: 0 }, rules: { avg_profit_per_trade: -0.42 } });
    expect(((await get('/v1/backtests?limit=5')).body.backtests as Array<{ id: string }>).map((r) => r.id)).toEqual([newer, older]);
    expect((await get('/v1/backtests?limit=0')).status).toBe(400);
    expect((await get('/v1/backtests', null)).status).toBe(401);
  });
});

describe('the page and its library', () => {
  it('serves the dashboard at / and the charting module without a key; the API routes still need one', async () => {
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain('app.js');
    const lib = await fetch(`${base}/vendor/lightweight-charts.mjs`);
    expect(lib.status).toBe(200);
    expect(lib.headers.get('content-type')).toContain('javascript');
    expect(await lib.text()).toContain('createChart');
    expect((await fetch(`${base}/vendor/../package.json`)).status).toBe(404);
    for (const path of ['/v1/signals', '/v1/models', '/v1/status', '/v1/drift', '/v1/backtests', '/v1/candles/LTC%2FBTC']) {
      expect((await get(path, null)).status, path).toBe(401);
    }
  });
});

describe('the newest signals through the Store port', () => {
  // Runs last: it adds signals on the newest stored candles, where the first read window suffices.
  it('finds them in the first window when signals reach the newest candles, across model versions', async () => {
    const spy = vi.spyOn(store, 'readPredictions');
    await store.insertPredictions([100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119].flatMap((i) => [record('LTC/BTC', i), { ...record('LTC/BTC', i), id: record('XLM/BTC', 1000 + i).id, modelVersion: 'v2' }]));
    const r = await get('/v1/signals?symbol=LTC%2FBTC&limit=4');
    expect(r.body.signals.map((x) => [x.candle_time, x.model_version])).toEqual(
      [118, 119].flatMap((i) => [[new Date(record('LTC/BTC', i).candleTime).toISOString(), 'rules'], [new Date(record('LTC/BTC', i).candleTime).toISOString(), 'v2']]),
    );
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockRestore();
  });
});

describe('recent tick latency from the histogram', () => {
  it('estimates quantiles inside a bucket as histogram_quantile does', () => {
    // 10 observations: 4 in (0, 1 ms], 5 in (1, 2.5 ms], 1 in (2.5, 5 ms].
    const b = { bounds: [0.001, 0.0025, 0.005, Infinity], counts: [4, 9, 10, 10] };
    expect(bucketQuantile(b, 0.5)).toBeCloseTo(0.001 + (0.0015 * (5 - 4)) / 5, 12); // rank 5: 1/5 into the second bucket
    expect(bucketQuantile(b, 0.99)).toBeCloseTo(0.0025 + 0.0025 * 0.9, 12);
    expect(bucketQuantile({ bounds: [0.001, Infinity], counts: [0, 3] }, 0.5)).toBe(0.001);
    expect(bucketQuantile({ bounds: [0.001, Infinity], counts: [0, 0] }, 0.5)).toBeNull();
  });

  it('answers over the last window only: ticks before it do not count', async () => {
    let now = 0;
    let counts = [0, 0, 0];
    const w = new RecentLatencyWindow(async () => ({ bounds: [0.01, 0.1, Infinity], counts }), 60_000, () => now);
    counts = [100, 100, 100]; // 100 fast ticks at start
    expect(await w.current()).toMatchObject({ ticks: 100, window_s: null });
    now = 30_000;
    counts = [100, 110, 110]; // then 10 slow ones
    expect(await w.current()).toMatchObject({ ticks: 10, window_s: 30 });
    now = 90_000;
    const r = await w.current(); // the window now starts at the 30 s snapshot: nothing since
    expect(r).toMatchObject({ ticks: 0, p50_ms: null, window_s: 60 });
  });
});
