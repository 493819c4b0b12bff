/**
 * Helpers for the end-to-end tests: a daemon child on a real Postgres schema (created and migrated
 * here before the daemon starts, so keys can be issued first), real websocket subscribers, and the
 * stored state read back afterwards.
 */
import { expect, vi } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import type { Signal } from '../../src/domain/signal.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { allPredictions, freePort, spawnDaemon, type DaemonChild } from '../helpers/daemon.ts';

const silent = createLogger({ level: 'silent', pretty: false });
const FIVE_MINUTES = 300_000;

/** A store on `schema` of the Postgres at `url` (migrating it first when asked). */
export function pgStore(url: string, schema: string, migrate = false): Promise<Store> {
  return openStore(loadConfig({ DATABASE_URL: url, SIGNALBASE_SCHEMA: schema, LOG_LEVEL: 'silent' }), silent, { migrate, poolSize: 2 });
}

/** `url` with its host:port replaced by 127.0.0.1:`port` (to go through a proxy). */
export function viaPort(url: string, port: number): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(port);
  return u.toString();
}

export interface StoredState {
  predictions: PredictionRecord[];
  /** Per series: candle count, first and last open time. */
  series: Map<string, { count: number; first: number; last: number }>;
}

export async function storedState(url: string, schema: string): Promise<StoredState> {
  const store = await pgStore(url, schema);
  try {
    const series = new Map((await store.listCandleSeries()).map((s) => [s.symbol, { count: s.count, first: s.firstOpenTime, last: s.lastOpenTime }]));
    return { predictions: await allPredictions(store), series };
  } finally {
    await store.close();
  }
}

/** A running daemon child and the base URL of its API. */
export interface RunningDaemon extends DaemonChild {
  port: number;
  base: string;
}

/** Spawns `signalbase run ARGS` on PORT = a free port and waits for /healthz. */
export async function startDaemon(args: string[], env: Record<string, string>): Promise<RunningDaemon> {
  const port = await freePort();
  const d = spawnDaemon(args, { ...env, PORT: String(port) });
  const base = `http://127.0.0.1:${port}`;
  let exited = false;
  const early = d.exited.then((code) => {
    exited = true;
    throw new Error(`daemon exited ${code} before serving:\n${d.stderr().slice(-3000)}`);
  });
  early.catch(() => undefined);
  const healthy = vi.waitFor(
    async () => {
      if (exited) return; // `early` reports it
      const res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
    },
    { timeout: 120_000, interval: 200 },
  );
  await Promise.race([healthy, early]);
  if (exited) await early;
  return { ...d, port, base };
}

/** A real websocket subscriber collecting signal frames in arrival order. */
export interface Subscriber {
  ws: WebSocket;
  signals: Signal[];
  /** Frames of type 'error'. */
  errors: Array<{ code: string; message: string }>;
  closed: Promise<number>;
  close(): Promise<number>;
}

/** Connects to /v1/stream with `key` and subscribes to every symbol (from `since` when given). */
export async function subscribe(port: number, key: string, since?: string): Promise<Subscriber> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream`, { headers: { Authorization: `Bearer ${key}` } });
  const signals: Signal[] = [];
  const errors: Subscriber['errors'] = [];
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  ws.on('message', (raw) => {
    const msg = JSON.parse(String(raw)) as { type: string; data?: Signal; code?: string; message?: string };
    if (msg.type === 'signal' && msg.data) signals.push(msg.data);
    if (msg.type === 'error') errors.push({ code: String(msg.code), message: String(msg.message) });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'], ...(since !== undefined ? { since } : {}) }));
  return {
    ws,
    signals,
    errors,
    closed,
    close() {
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000);
      return closed;
    },
  };
}

/** The HTTP status of a websocket upgrade that the server refused (or 101 when it was accepted). */
export function upgradeStatus(port: number, headers: Record<string, string> = {}, query = ''): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream${query}`, { headers });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.close();
    });
    ws.once('error', (err) => reject(err));
  });
}

/**
 * Asserts each series holds exactly `n` candles with no missing 5 m step, from the file's first
 * candle (a gap would show as last - first spanning more steps than the count).
 */
export function expectCandlesComplete(state: StoredState, symbols: readonly string[], n: number, firstOpenTime: number): void {
  expect([...state.series.keys()].sort()).toEqual([...symbols].sort());
  for (const s of symbols) {
    const info = state.series.get(s)!;
    expect(info.count, s).toBe(n);
    expect(info.first, s).toBe(firstOpenTime);
    expect((info.last - info.first) / FIVE_MINUTES + 1, s).toBe(n);
  }
}
