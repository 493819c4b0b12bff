/**
 * Helpers for the daemon tests: daemons as child processes on a real embedded store in a temp
 * SIGNALBASE_DATA_DIR, small real replays, free ports, and reading the store back afterwards.
 *
 * Migrating a fresh PGlite directory takes many seconds on this machine, so each test file migrates
 * one template directory once and copies it for every daemon it starts (a closed PGlite directory
 * is plain files).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import type { PredictionRecord } from '../../src/store/types.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/signalbase.js');
const SAMPLE = join(ROOT, 'data/sample');
const silent = createLogger({ level: 'silent', pretty: false });

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `sb-daemon-${prefix}-`));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** A directory of the first `n` candles of the given bundled sample files (real Binance candles). */
export function replayDir(files: readonly string[], n: number): string {
  const dir = tempDir('feed');
  for (const f of files) {
    const rows = JSON.parse(readFileSync(join(SAMPLE, f), 'utf8')) as unknown[];
    writeFileSync(join(dir, f), JSON.stringify(rows.slice(0, n)));
  }
  return dir;
}

/** A migrated, closed data directory to copy from. */
export async function migratedTemplate(): Promise<string> {
  const dir = tempDir('template');
  const store = await openStore(loadConfig({ SIGNALBASE_DATA_DIR: dir, LOG_LEVEL: 'silent' }), silent, { migrate: true });
  await store.close();
  return dir;
}

/** A data directory holding a copy of `template`. */
export function dataDirFrom(template: string): string {
  const dir = tempDir('data');
  cpSync(template, dir, { recursive: true });
  return dir;
}

export function openStoreAt(dataDir: string): Promise<Store> {
  return openStore(loadConfig({ SIGNALBASE_DATA_DIR: dataDir, LOG_LEVEL: 'silent' }), silent);
}

/** Every stored prediction, in stream order. */
export async function allPredictions(store: Store): Promise<PredictionRecord[]> {
  const out: PredictionRecord[] = [];
  for (;;) {
    const last = out.at(-1);
    const page = await store.readPredictions({
      limit: 1000,
      ...(last ? { after: { candleTime: last.candleTime, symbol: last.symbol, timeframe: last.timeframe, modelVersion: last.modelVersion, id: last.id } } : {}),
    });
    out.push(...page);
    if (page.length < 1000) return out;
  }
}

/** Reads a data directory's stored predictions and candle count, then closes the store. */
export async function storedState(dataDir: string): Promise<{ predictions: PredictionRecord[]; candles: number; series: number }> {
  const store = await openStoreAt(dataDir);
  try {
    const series = await store.listCandleSeries();
    return { predictions: await allPredictions(store), candles: series.reduce((n, s) => n + s.count, 0), series: series.length };
  } finally {
    await store.close();
  }
}

export interface DaemonChild {
  child: ChildProcess;
  /** Exit code, or the signal's name when killed by one. */
  exited: Promise<number | string>;
  stderr(): string;
}

/** `signalbase run ARGS` as a child process with exactly this environment (plus PATH and HOME). */
export function spawnDaemon(args: string[], env: Record<string, string>): DaemonChild {
  const child = spawn(process.execPath, [BIN, 'run', ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', TFJS_BACKEND: 'wasm', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (d: string) => {
    err = (err + d).slice(-200_000);
  });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, exited, stderr: () => err };
}

/** A counter's value from GET /metrics (0 when absent or unreachable). */
export async function metricValue(port: number, name: string): Promise<number> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return line ? Number(line.split(' ')[1]) : 0;
  } catch {
    return 0;
  }
}

/** What makes two runs' predictions comparable: everything but wall-clock fields. */
export function comparable(p: PredictionRecord) {
  const { processingTimeMs: _ms, createdAt: _at, ...rest } = p;
  return rest;
}
