/**
 * `signalbase models list | activate | rollback` as a user runs them, against an embedded store in a
 * temporary data dir that this test fills first, in-process, with real trained models (tiny network):
 * A active, B trained (trained on HOLD labels only, so the gate refuses it), C failed.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { runTrainingJob, type TrainingJobOptions } from '../../src/model/training-job.ts';
import { openStore } from '../../src/store/index.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';

const BIN = fileURLToPath(new URL('../../bin/signalbase.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'sb-models-'));
const SMALL: TrainingJobOptions = {
  timesteps: 8,
  hyper: { units: 4, maxEpochs: 2, batchSize: 64 },
  split: { minSamples: { train: 100, val: 30, test: 30 } },
  importanceSamples: 100,
};
const versions = { a: '', b: '', c: '' };

beforeAll(async () => {
  const config = testConfig({ SIGNALBASE_DATA_DIR: dataDir, TFJS_BACKEND: 'wasm' });
  const log = silentLogger();
  const store = await openStore(config, log, { migrate: true });
  try {
    for (const s of syntheticSeries({ seed: 5, symbols: 2, timeframe: '5m', vol: 0.003, candles: 700, start: Date.UTC(2024, 0, 1) })) await store.upsertCandles(s);
    versions.a = (await runTrainingJob({ store, config, log }, { ...SMALL, seed: 1, activate: true })).version;
    const b = await runTrainingJob({ store, config, log }, { ...SMALL, seed: 2, classWeights: [0, 0, 1], hyper: { units: 4, maxEpochs: 3, batchSize: 64, learningRate: 0.05 } });
    expect(b.status).toBe('trained');
    versions.b = b.version;
    const failed = await runTrainingJob({ store, config, log }, { ...SMALL, split: { minSamples: { train: 100_000, val: 1, test: 1 } } }).catch((e: { context: { version: string } }) => e);
    versions.c = (failed as { context: { version: string } }).context.version;
  } finally {
    await store.close();
  }
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function signalbase(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', SIGNALBASE_DATA_DIR: dataDir }, timeout: 120_000 },
      (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

interface Listed {
  version: string;
  status: string;
  is_active: boolean;
  created_at: string;
  seed: number | null;
  backend: string | null;
  weights_sha256: string | null;
  status_reason: string | null;
  metrics: Record<string, number | string> | null;
}

const list = async () => {
  const r = await signalbase(['models', 'list', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
};

describe('signalbase models', () => {
  it('list --json: per model version, status, is_active, created_at, seed, backend, weights_sha256 and the test metrics', async () => {
    const models = await list();
    expect(models.map((m) => m.version)).toEqual([versions.c, versions.b, versions.a]);
    const [c, b, a] = models as [Listed, Listed, Listed];
    expect(a).toMatchObject({ status: 'active', is_active: true, seed: 1, backend: 'wasm' });
    expect(b).toMatchObject({ status: 'trained', is_active: false, seed: 2, backend: 'wasm' });
    expect(b.status_reason).toMatch(/does not beat always-HOLD|< active model's/);
    expect(c).toMatchObject({ status: 'failed', is_active: false, weights_sha256: null, metrics: null });
    expect(c.status_reason).toMatch(/^DATASET_TOO_SMALL: /);
    for (const m of [a, b]) {
      expect(m.weights_sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(new Date(m.created_at).toISOString()).toBe(m.created_at);
      expect(Object.keys(m.metrics!)).toEqual(expect.arrayContaining(['accuracy', 'f1_macro', 'profit_factor', 'win_rate', 'sharpe', 'trades']));
    }

    const text = await signalbase(['models', 'list']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n').find((l) => l.startsWith('*'))).toContain(versions.a);
  });

  it('activate VERSION makes it active and retires the previous one; a failed model is refused', async () => {
    const r = await signalbase(['models', 'activate', versions.b, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ active: { version: versions.b, status: 'active' }, previous: { version: versions.a, status: 'retired' } });

    const refused = await signalbase(['models', 'activate', versions.c]);
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(refused.stderr).toContain(`model ${versions.c} is failed`);
    expect((await list()).find((m) => m.is_active)?.version).toBe(versions.b);
  });

  it('rollback reactivates the previous model, then says there is none', async () => {
    const r = await signalbase(['models', 'rollback']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`rolled back: ${versions.b} → ${versions.a} (active)`);
    const models = await list();
    expect(models.find((m) => m.is_active)?.version).toBe(versions.a);
    expect(models.find((m) => m.version === versions.b)?.status).toBe('rejected');

    const again = await signalbase(['models', 'rollback']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no model was active before ${versions.a}`);
  });

  it('bad usage exits 2', async () => {
    for (const args of [['models'], ['models', 'frobnicate'], ['models', 'activate'], ['models', 'rollback', 'extra']]) {
      const r = await signalbase(args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
