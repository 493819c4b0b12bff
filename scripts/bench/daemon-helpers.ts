/**
 * Shared set-up for the bench parts that run the real daemon (pipeline.ts, memory.ts):
 *
 * - benchTemplate(): one migrated embedded data directory per bench process, made once and copied
 *   for every daemon (a closed PGlite directory is plain files), holding
 *     · an active model of the production architecture the daemon serves (model/training-job.ts
 *       JOB_HYPER: LSTM, T = 60, the 17 features), trained for one epoch on synthetic candles: the
 *       bench measures serving cost, which does not depend on how good the weights are;
 *     · WARM_CANDLES stored synthetic candles for each of MAX_SYMBOLS symbols, so every daemon warms
 *       its indicators and model windows from the store at start (daemon/warmup.ts) and its first
 *       live tick already yields one model signal per symbol;
 *     · an admin API key for the websocket subscriber.
 * - startBenchDaemon(): the Daemon class in this process on a copy of the template, on loopback.
 * - Subscriber: a real websocket client on /v1/stream, in a worker thread, that timestamps (clockMs:
 *   timeOrigin + performance.now(), comparable across threads) the moment each tick's last signal
 *   arrives.
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { Daemon, type DaemonOptions } from '../../src/daemon.ts';
import { timeframeMs } from '../../src/domain/timeframe.ts';
import { syntheticSeries, SYNTHETIC_DEFAULTS } from '../../src/ingest/synthetic.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { registry } from '../../src/metrics.ts';
import { runTrainingJob } from '../../src/model/training-job.ts';
import { openStore } from '../../src/store/index.ts';

/** Symbols the template holds warm-up candles for (memory compares 50 with 5,050; ticks run up to 5,000). */
export const MAX_SYMBOLS = 5_050;
/** Stored candles per symbol: 50 for the indicators, 60 for a model window, the rest margin. */
export const WARM_CANDLES = 200;
export const TIMEFRAME = '5m' as const;
export const TF_MS = timeframeMs(TIMEFRAME);
/** Seed of the synthetic market every bench daemon sees. */
export const SEED = 42;
/** Open time of the first stored candle; live feeds start WARM_CANDLES candles later. */
export const WARM_START = SYNTHETIC_DEFAULTS.start;
export const LIVE_START = WARM_START + WARM_CANDLES * TF_MS;

export const silentLog: Logger = createLogger({ level: 'silent', pretty: false });

export function benchConfig(dataDir: string): Config {
  return loadConfig({ SIGNALBASE_DATA_DIR: dataDir, LOG_LEVEL: 'silent', TFJS_BACKEND: process.env.TFJS_BACKEND ?? 'auto' });
}

/** Progress lines on stderr (the JSON goes to stdout). */
export function note(part: string, msg: string): void {
  process.stderr.write(`bench: ${part}: ${msg}\n`);
}

export interface BenchTemplate {
  dir: string;
  /** Admin key valid in every copy. */
  key: string;
  modelVersion: string;
}

const dirs: string[] = [];
let template: Promise<BenchTemplate> | null = null;

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `sb-bench-${prefix}-`));
  dirs.push(d);
  return d;
}

/** Removes every directory the bench made (call once at the end; safe to call twice). */
export function cleanupBenchDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  template = null;
}
process.once('exit', cleanupBenchDirs);

/** The candles a training in the bench learns from: a few synthetic symbols of their own seed. */
export function trainingSeries(symbols: number, candles: number, seed: number) {
  return syntheticSeries({ ...SYNTHETIC_DEFAULTS, seed, symbols, candles, timeframe: TIMEFRAME }).map((c) => ({ symbol: c[0]!.symbol, timeframe: TIMEFRAME, candles: c }));
}

export function benchTemplate(): Promise<BenchTemplate> {
  template ??= cachedTemplate();
  return template;
}

/**
 * SIGNALBASE_BENCH_TEMPLATE=<dir> (profiling runs of one part, and A/B runs side by side): the
 * template is made once into <dir> and later bench processes copy it from there instead of
 * training and storing it again (a minute or more of CPU that would load the other runs).
 */
async function cachedTemplate(): Promise<BenchTemplate> {
  const keep = process.env.SIGNALBASE_BENCH_TEMPLATE;
  const info = keep && join(keep, 'bench-template.json');
  if (info && existsSync(info)) return { ...(JSON.parse(readFileSync(info, 'utf8')) as BenchTemplate), dir: join(keep, 'data') };
  const made = await makeTemplate();
  if (keep && info) {
    cpSync(made.dir, join(keep, 'data'), { recursive: true });
    writeFileSync(info, JSON.stringify({ key: made.key, modelVersion: made.modelVersion }));
  }
  return made;
}

async function makeTemplate(): Promise<BenchTemplate> {
  const dir = tempDir('template');
  const config = benchConfig(dir);
  const t0 = performance.now();
  const store = await openStore(config, silentLog, { migrate: true });
  try {
    const trained = await runTrainingJob(
      { store, config, log: silentLog },
      { candles: trainingSeries(2, 1_500, 7), seed: 1, activate: true, updateWeights: false, hyper: { maxEpochs: 1 }, importanceSamples: 200 },
    );
    const warm = syntheticSeries({ ...SYNTHETIC_DEFAULTS, seed: SEED, symbols: MAX_SYMBOLS, candles: WARM_CANDLES, start: WARM_START, timeframe: TIMEFRAME });
    for (let i = 0; i < warm.length; i += 100) await store.upsertCandles(warm.slice(i, i + 100).flat());
    const key = (await store.createApiKey({ name: 'bench', type: 'admin' })).key;
    note('setup', `template ready in ${((performance.now() - t0) / 1000).toFixed(1)}s: model ${trained.version} (${trained.backend}), ${MAX_SYMBOLS} x ${WARM_CANDLES} stored candles`);
    return { dir, key, modelVersion: trained.version };
  } finally {
    await store.close();
  }
}

/** A fresh data directory holding a copy of the template. */
export async function benchDataDir(prefix: string): Promise<{ dir: string; tpl: BenchTemplate }> {
  const tpl = await benchTemplate();
  const dir = tempDir(prefix);
  cpSync(tpl.dir, dir, { recursive: true });
  return { dir, tpl };
}

/** The synthetic feed over the template's symbols, continuing where the stored candles end. */
export function syntheticFeed(symbols: number, candles: number, speed: number): string {
  return `synthetic:seed=${SEED},symbols=${symbols},timeframe=${TIMEFRAME},candles=${candles},start=${LIVE_START},speed=${speed}`;
}

/** The real Daemon in this process: loopback, any free port, no automatic training. */
export async function startBenchDaemon(dataDir: string, opts: DaemonOptions, config: Config = benchConfig(dataDir)): Promise<Daemon> {
  const daemon = new Daemon(config, silentLog, { port: 0, host: '127.0.0.1', trainer: null, stopDeadlineMs: 120_000, journalDrainMs: 120_000, ...opts });
  await daemon.start();
  return daemon;
}

/**
 * A throwaway schema on the server Postgres for one bench part (SIGNALBASE_BENCH_DATABASE_URL,
 * default the test server), or null when it cannot be reached. drop() removes the schema.
 */
export async function throwawayPostgres(): Promise<{ config(dataDir: string): Config; drop(): Promise<void> } | null> {
  const url = process.env.SIGNALBASE_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.end();
  } catch (err) {
    note('setup', `server Postgres at ${new URL(url).host} unreachable (${(err as Error).message}): the postgres figures are null`);
    return null;
  }
  return {
    config: (dataDir) =>
      loadConfig({ SIGNALBASE_DATA_DIR: dataDir, DATABASE_URL: url, SIGNALBASE_SCHEMA: schema, LOG_LEVEL: 'silent', TFJS_BACKEND: process.env.TFJS_BACKEND ?? 'auto' }),
    async drop() {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Current value of a gauge or counter on the process registry (summed over labels). */
export async function metricSum(name: string): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (!m) return 0;
  const v = await m.get();
  return v.values.reduce((s, x) => s + x.value, 0);
}

/** Waits (polling) until `check` holds, or throws after `timeoutMs`. */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 50): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > end) throw new Error(`bench: timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** A shared high-resolution clock for this thread and workers: epoch ms with sub-ms precision. */
export const clockMs = (): number => performance.timeOrigin + performance.now();

/**
 * A websocket subscriber to every symbol, in a worker thread, so its reads never wait for the
 * daemon's main thread (as an external subscriber's would not). For each candle_time it counts
 * the signals received and records clockMs() when the count reaches `perTick` (the tick's last
 * signal). `complete` maps candle_time to that instant.
 */
export class Subscriber {
  readonly complete = new Map<number, number>();
  private worker: Worker | null = null;

  constructor(private readonly perTick: number) {}

  async connect(port: number, key: string): Promise<void> {
    const worker = (this.worker = new Worker(SUBSCRIBER_WORKER, { eval: true, workerData: { url: `ws://127.0.0.1:${port}/v1/stream`, key, perTick: this.perTick } }));
    worker.unref();
    await new Promise<void>((resolve, reject) => {
      worker.on('message', (m: { type: 'open' } | { type: 'tick'; candleTime: number; at: number }) => {
        if (m.type === 'open') resolve();
        else this.complete.set(m.candleTime, m.at);
      });
      worker.once('error', reject);
    });
  }

  close(): void {
    void this.worker?.terminate();
  }
}

const SUBSCRIBER_WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { createRequire } = require('node:module');
const WebSocket = createRequire(${JSON.stringify(import.meta.url)})('ws');
const { url, key, perTick } = workerData;
const counts = new Map();
const ws = new WebSocket(url, { headers: { Authorization: 'Bearer ' + key } });
ws.on('message', (raw) => {
  const at = performance.timeOrigin + performance.now();
  const msg = JSON.parse(String(raw));
  if (msg.type !== 'signal' || !msg.data || !msg.data.candle_time) return;
  const t = Date.parse(msg.data.candle_time);
  const n = (counts.get(t) || 0) + 1;
  counts.set(t, n);
  if (n === perTick) { counts.delete(t); parentPort.postMessage({ type: 'tick', candleTime: t, at }); }
});
ws.once('open', () => {
  ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'] }));
  parentPort.postMessage({ type: 'open' });
});
ws.once('error', (err) => { throw err; });
`;

export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank: the smallest value with at least p% of the samples at or below it.
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export const round = (x: number, digits: number): number => Number(x.toFixed(digits));

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('bench: memory needs --expose-gc (npm run bench passes it)');
  for (let i = 0; i < 4; i++) g();
}
