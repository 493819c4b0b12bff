/**
 * `signalbase train` as a user runs it: a child process on an embedded store in a temporary data dir,
 * small synthetic candles and a tiny network (--epochs 1 --units 4; T stays 60).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/signalbase.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FEED = 'synthetic:seed=11,symbols=2,candles=800';
const METRICS = [
  'accuracy',
  'precision_buy',
  'precision_sell',
  'recall_buy',
  'recall_sell',
  'f1_macro',
  'win_rate',
  'avg_profit_per_trade',
  'profit_factor',
  'max_drawdown',
  'sharpe',
  'sortino',
  'calmar',
  'trades',
];
const dataDir = mkdtempSync(join(tmpdir(), 'sb-train-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

interface Run {
  code: Promise<number>;
  stdout: () => string;
  stderr: () => string;
  kill: (signal: NodeJS.Signals) => void;
}

function signalbase(args: string[], env: Record<string, string> = {}): Run {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', TFJS_BACKEND: 'wasm', SIGNALBASE_DATA_DIR: dataDir, ...env },
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return {
    code: new Promise((resolve) => child.on('close', (c, sig) => resolve(c ?? (sig ? 128 : 1)))),
    stdout: () => out,
    stderr: () => err,
    kill: (s) => child.kill(s),
  };
}

describe('signalbase train', () => {
  it('--json prints one document: the model beside always-HOLD and the rules, the gate and the weights hash', async () => {
    // --activate: the next test needs an active model, and a 1-epoch model rarely passes the gate.
    const run = signalbase(['train', '--feed', FEED, '--seed', '1', '--epochs', '1', '--units', '4', '--activate', '--json']);
    expect(await run.code).toBe(0);
    const doc = JSON.parse(run.stdout());
    expect(doc.version).toMatch(/^v\d{14}-[0-9a-f]{6}$/);
    expect(doc.seed).toBe(1);
    expect(doc.backend).toBe('wasm');
    expect(doc.weights_sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(doc.status).toBe('active');
    expect(doc.status_reason).toBe(doc.gate.pass ? doc.gate.reason : `activated by --activate although the gate refused: ${doc.gate.reason}`);
    // The selective rule is reported with the test figures, and the calibration of the test window.
    expect(doc.selection).toMatchObject({ fitted_on: 'validation', threshold: expect.any(Number), temperature: expect.any(Number) });
    expect(doc.calibration.test.bins).toHaveLength(10);
    for (const name of ['model', 'always_hold', 'rules'] as const) expect(Object.keys(doc.evaluations[name])).toEqual(METRICS);
    expect(doc.evaluations.always_hold.trades).toBe(0);
    expect(doc.evaluations.active).toBeNull();
    expect(doc.training_set).toMatchObject({ timeframe: '5m', symbols: ['SYN0/USD', 'SYN1/USD'], timesteps: 60 });
    // Progress went to stderr as plain lines (not a terminal), phases and the epoch.
    expect(run.stderr()).toContain('epoch 1/1');
    expect(run.stderr()).toContain('permutation importance');
  });

  it('the second run compares with the active model and prints the table with the gate verdict', async () => {
    const run = signalbase(['train', '--seed', '2', '--epochs', '1', '--units', '4', '--activate']);
    expect(await run.code).toBe(0);
    const text = run.stdout();
    const header = text.split('\n').find((l) => l.startsWith('test window'))!;
    expect(header.split(/\s{2,}/)).toEqual(['test window', 'model', 'always-HOLD', 'rules', expect.stringMatching(/^active v\d{14}-[0-9a-f]{6}$/)]);
    for (const row of ['accuracy', 'macro F1', 'profit factor', 'Sharpe', 'Sortino', 'Calmar', 'trades']) expect(text).toMatch(new RegExp(`^${row} `, 'm'));
    expect(text).toMatch(/^gate: (PASS|FAIL) — macro F1 /m);
    expect(text).toMatch(/^status: active \(v\d{14}-[0-9a-f]{6}\)$/m);
    expect(text).toMatch(/^weights sha256: [0-9a-f]{64}$/m);
  });

  it('Ctrl-C cancels: exit 130, the model recorded failed (cancelled), the active model unchanged', async () => {
    const before = signalbase(['models', 'list', '--json']);
    expect(await before.code).toBe(0);
    const active = (JSON.parse(before.stdout()) as { version: string; is_active: boolean }[]).find((m) => m.is_active)!;
    const run = signalbase(['train', '--seed', '3', '--epochs', '500', '--units', '4']);
    await vi.waitFor(() => expect(run.stderr()).toMatch(/epoch 1\/500 batch/), { timeout: 120_000, interval: 200 });
    run.kill('SIGINT');
    expect(await run.code).toBe(130);
    expect(run.stderr()).toMatch(/cancelled; model v\d{14}-[0-9a-f]{6} recorded as failed \(cancelled\)/);
    const after = signalbase(['models', 'list', '--json']);
    expect(await after.code).toBe(0);
    const models = JSON.parse(after.stdout()) as { version: string; status: string; status_reason: string; is_active: boolean }[];
    expect(models[0]).toMatchObject({ status: 'failed', status_reason: 'cancelled', is_active: false });
    expect(models.find((m) => m.is_active)?.version).toBe(active.version);
  });

  it('bad usage exits 2 with a one-line reason', async () => {
    for (const args of [
      ['train', '--seed', 'abc'],
      ['train', '--epochs', '0'],
      ['train', '--feed', 'binance:ws://127.0.0.1:9'],
    ]) {
      const run = signalbase(args);
      expect(await run.code).toBe(2);
      expect(run.stderr().trim().split('\n')).toHaveLength(1);
    }
  });
});
