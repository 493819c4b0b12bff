/**
 * Helpers for tests that run the daemon as a child process (tests/daemon, tests/e2e), whatever the
 * store: free ports, temp dirs, small real replays, spawning `signalbase run`, reading metrics, and
 * reading a store's predictions back in stream order.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import type { Store } from '../../src/store/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/signalbase.js');
const SAMPLE = join(ROOT, 'data/sample');

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

/** a and b equal but for wall-clock fields, numbers to 1e-9 relative (two runs' engines may have warmed up from different starts). */
export function expectSamePrediction(a: PredictionRecord, b: PredictionRecord): void {
  const close = (x: unknown, y: unknown, path: string): void => {
    if (typeof x === 'number' && typeof y === 'number') {
      expect(Math.abs(x - y), path).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(y)));
    } else if (x && y && typeof x === 'object' && typeof y === 'object') {
      expect(Object.keys(x).sort(), path).toEqual(Object.keys(y).sort());
      for (const k of Object.keys(y)) close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k], `${path}.${k}`);
    } else {
      expect(x, path).toEqual(y);
    }
  };
  close(comparable(a), comparable(b), a.id);
}
