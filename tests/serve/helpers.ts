/**
 * Shared fixtures for the serve tests: signals built from real Binance candles (data/sample, the
 * freqtrade test data), and small in-memory implementations of the narrow ports the server needs
 * (key validation, signal history). The real Store adapters are tested elsewhere.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Registry } from 'prom-client';
import { WebSocket } from 'ws';
import type { Clock } from '../../src/domain/clock.ts';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../src/domain/indicators.ts';
import { compareCursors, cursorOf, type PredictionRecord } from '../../src/domain/prediction.ts';
import { toSignal, type Signal } from '../../src/domain/signal.ts';
import { createApiServer, type ApiServer } from '../../src/serve/api-server.ts';
import type { ApiDeps, KeyValidator, SignalHistory } from '../../src/serve/types.ts';
import type { ApiKeyType, ApiKeyValidation, PredictionQuery } from '../../src/store/types.ts';

type Row = [number, number, number, number, number, number];

const SAMPLE = fileURLToPath(new URL('../../data/sample/', import.meta.url));
const cache = new Map<string, Row[]>();
export function candles(file: 'LTC_BTC-5m.json' | 'XLM_BTC-5m.json'): Row[] {
  let rows = cache.get(file);
  if (!rows) {
    rows = JSON.parse(readFileSync(SAMPLE + file, 'utf8')) as Row[];
    cache.set(file, rows);
  }
  return rows;
}

const NULL_INDICATORS = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, null])) as IndicatorValues;

/**
 * The i-th signal of a symbol, on the i-th real 5m candle of its sample file: candle_time is the
 * candle's open time and the entry its close. Ids are deterministic and unique per (symbol, i).
 */
export function record(symbol: 'LTC/BTC' | 'XLM/BTC', i: number, type: PredictionRecord['predictionType'] = 'SIGNAL'): PredictionRecord {
  const row = candles(symbol === 'LTC/BTC' ? 'LTC_BTC-5m.json' : 'XLM_BTC-5m.json')[i]!;
  const [t, , , , close] = row;
  const symTag = symbol === 'LTC/BTC' ? '0001' : '0002';
  return {
    id: `00000000-0000-4000-8000-${symTag}${i.toString(16).padStart(8, '0')}`,
    symbol,
    timeframe: '5m',
    candleTime: t,
    modelVersion: 'rules',
    predictionType: type,
    predictedDirection: 'BUY',
    confidenceScore: 0.6,
    probabilities: { BUY: 0.6, SELL: 0.1, HOLD: 0.3 },
    recommendation: 'BUY',
    signalWeight: 0.5,
    positionMultiplier: 1,
    entryPrice: close,
    stopLoss: close * 0.99,
    takeProfit: close * 1.02,
    riskScore: 0.4,
    technicalIndicators: NULL_INDICATORS,
    inputFeatures: {},
    processingTimeMs: 3,
    createdAt: t + 300_000,
  };
}

export const records = (symbol: 'LTC/BTC' | 'XLM/BTC', from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => record(symbol, from + k));

/** Both symbols' signals for candles from..to, interleaved in stream order. */
export function mixed(from: number, to: number): PredictionRecord[] {
  return [...records('LTC/BTC', from, to), ...records('XLM/BTC', from, to)].sort(streamOrder);
}

/**
 * The documented stream order (DESIGN.md; ml_predictions COLLATE "C"): candle_time, then symbol,
 * timeframe, model_version, id compared as bytes. Written out here, not src/signals/signal.ts
 * compareCursors, so the expected stream of the resume tests does not come from the code under test.
 */
export function streamOrder(a: PredictionRecord, b: PredictionRecord): number {
  if (a.candleTime !== b.candleTime) return a.candleTime < b.candleTime ? -1 : 1;
  for (const k of ['symbol', 'timeframe', 'modelVersion', 'id'] as const) {
    const c = Buffer.compare(Buffer.from(a[k], 'utf8'), Buffer.from(b[k], 'utf8'));
    if (c !== 0) return c;
  }
  return 0;
}

export const signals = (rs: readonly PredictionRecord[]): Signal[] => rs.map(toSignal);

export interface TestKey {
  id: string;
  type: ApiKeyType;
  rateLimit: number | null;
  active: boolean;
}

/** validate_ml_api_key over a map; counts calls so tests can see the cache working. */
export class MemoryKeys implements KeyValidator {
  readonly keys = new Map<string, TestKey>();
  calls = 0;
  fail = false;

  add(key: string, type: ApiKeyType, rateLimit: number | null = 1000): string {
    this.keys.set(key, { id: `id-${key}`, type, rateLimit, active: true });
    return key;
  }

  revoke(key: string): void {
    this.keys.get(key)!.active = false;
  }

  async validate(key: string): Promise<ApiKeyValidation> {
    this.calls += 1;
    if (this.fail) throw new Error('store down');
    const k = this.keys.get(key);
    if (!k || !k.active) return { isValid: false, keyId: null, keyName: null, keyType: null, rateLimit: null, usageCount: null };
    return { isValid: true, keyId: k.id, keyName: `name-${key}`, keyType: k.type, rateLimit: k.rateLimit, usageCount: 0 };
  }
}

/** readPredictions semantics over an array: strictly after the cursor or instant, in stream order. */
export class MemoryHistory implements SignalHistory {
  readonly rows: PredictionRecord[] = [];
  reads: PredictionQuery[] = [];
  /** Awaited before each read (n = 0-based read index): lets a test act while a read is in flight. */
  beforeRead: ((n: number) => Promise<void>) | undefined;

  persist(rs: readonly PredictionRecord[]): void {
    for (const r of rs) if (!this.rows.some((x) => x.id === r.id)) this.rows.push(r);
    this.rows.sort((a, b) => compareCursors(cursorOf(a), cursorOf(b)));
  }

  async readAfter(q: PredictionQuery): Promise<PredictionRecord[]> {
    const n = this.reads.length;
    this.reads.push(q);
    await this.beforeRead?.(n);
    return this.rows
      .filter((r) => (q.after ? compareCursors(cursorOf(r), q.after) > 0 : true))
      .filter((r) => (q.afterTime !== undefined ? r.candleTime > q.afterTime : true))
      .filter((r) => (q.symbols ? q.symbols.includes(r.symbol) : true))
      .slice(0, q.limit ?? Infinity)
      .map((r) => ({ ...r }));
  }

  async get(id: string): Promise<PredictionRecord | null> {
    return this.rows.find((r) => r.id === id) ?? null;
  }
}

export class TestClock implements Clock {
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
}

export const silentLogger = () => pino({ level: 'silent' });

export interface Harness {
  api: ApiServer;
  base: string;
  ws: string;
  keys: MemoryKeys;
  history: MemoryHistory;
  registry: Registry;
  deps: ApiDeps;
}

export async function startServer(over: Partial<ApiDeps> = {}): Promise<Harness> {
  const keys = new MemoryKeys();
  const history = new MemoryHistory();
  const registry = new Registry();
  const deps: ApiDeps = {
    keys,
    signals: history,
    predict: async (symbol) => toSignal({ ...record('LTC/BTC', 100, 'API'), symbol }),
    retrain: async () => ({ request_id: 'req-1' }),
    indicators: (symbol) => (symbol === 'LTC/BTC' ? { symbol, indicators: NULL_INDICATORS } : null),
    dashboard: () => ({ active_model: 'rules', total_predictions: 0 }),
    readiness: () => ({ ready: true, reasons: [] }),
    knownSymbols: () => ['LTC/BTC', 'XLM/BTC'],
    registry,
    logger: silentLogger(),
    ...over,
    options: { keyCacheValidTtlMs: 0, keyCacheInvalidTtlMs: 0, shutdownDeadlineMs: 2_000, ...over.options },
  };
  if (over.keys === undefined) deps.keys = keys;
  const api = createApiServer(deps);
  const port = await api.start(0, '127.0.0.1');
  return { api, base: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/v1/stream`, keys, history, registry, deps };
}

/** Sum of a metric's samples whose labels include `labels`. */
export async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val))
    .reduce((s, v) => s + v.value, 0);
}

export interface TestSocket {
  ws: WebSocket;
  messages: { type: string; data?: { id?: string; symbol?: string }; code?: string }[];
  signalIds(): string[];
  closed: Promise<{ code: number; reason: string }>;
  send(msg: unknown): void;
}

/** A real ws client that records every message; resolves once open. */
export function connect(url: string, headers: Record<string, string> = {}, opts: { autoPong?: boolean } = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, { headers, autoPong: opts.autoPong ?? true });
  const messages: TestSocket['messages'] = [];
  ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return new Promise((resolve, reject) => {
    ws.once('open', () =>
      resolve({
        ws,
        messages,
        closed,
        signalIds: () => messages.filter((m) => m.type === 'signal').map((m) => m.data!.id!),
        send: (msg) => ws.send(typeof msg === 'string' ? msg : JSON.stringify(msg)),
      }),
    );
    ws.once('error', reject);
  });
}

/** The HTTP status an upgrade is refused with (the ws client's 'unexpected-response'). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<{ status: number; retryAfter: string | undefined }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] as string | undefined });
      res.resume();
      ws.terminate();
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('upgrade unexpectedly accepted'));
    });
    ws.on('error', () => {});
  });
}
