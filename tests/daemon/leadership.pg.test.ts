/**
 * Leadership and sharding end to end: real `signalbase run` processes on one real Postgres schema
 * (DESIGN.md "Scheduling, leadership, scale").
 *
 * - Two instances: exactly one is the leader (is_leader on /metrics); `signalbase retrain --force`
 *   (a real CLI process) files a request that ends DONE exactly once, claimed by the leader, with
 *   exactly one training (one ml_models row); kill -9 of the leader hands the leadership to the
 *   other, which then serves the next request itself.
 * - SHARD=0/2 and SHARD=1/2 on the same feed: together they take every candle exactly once
 *   (candles_ingested_total sums to the feed's candles, each instance's share is its symbols' by
 *   FNV-1a hash), and the stored predictions cover every symbol.
 *
 * The daemons train with TRAIN_EPOCHS=1 and TRAIN_UNITS=4 so a training takes seconds.
 */
import { spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { hash32 } from '../../src/ingest/prng.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig, type TestSchema } from '../helpers/pg.ts';
import { allPredictions, freePort, metricValue, removeDir, replayDir, spawnDaemon, tempDir, type DaemonChild } from './helpers.ts';

const pg = await serverPostgres();
const log = silentLogger();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/signalbase.js');

const dirs: string[] = [];
const children: DaemonChild[] = [];
const schemas: TestSchema[] = [];

afterAll(async () => {
  for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
  await Promise.all(children.map((c) => c.exited));
  for (const s of schemas) await s.drop();
  for (const d of dirs) removeDir(d);
}, 60_000);

async function migratedStore(schema: TestSchema): Promise<Store> {
  return openStore(testConfig({ DATABASE_URL: schema.url, SIGNALBASE_SCHEMA: schema.schema }), log, { migrate: true });
}

function daemonEnv(schema: TestSchema, port: number, extra: Record<string, string> = {}): Record<string, string> {
  const data = tempDir('lead-data');
  dirs.push(data);
  return {
    DATABASE_URL: schema.url,
    SIGNALBASE_SCHEMA: schema.schema,
    SIGNALBASE_DATA_DIR: data, // the outbox journal
    PORT: String(port),
    TRAIN_EPOCHS: '1',
    TRAIN_UNITS: '4',
    ...extra,
  };
}

async function healthy(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
  } catch {
    return false;
  }
}

/** `signalbase ARGS` to completion: exit code and stdout. */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.runIf(pg.available)('two instances on one Postgres', () => {
  const schema = createTestSchema('lead');
  schemas.push(schema);
  let store: Store;
  let feed: string;
  const instances: { port: number; run: DaemonChild }[] = [];

  beforeAll(async () => {
    store = await migratedStore(schema);
    // The history the trainings use: 700 real 5m candles of two symbols (data/sample), stored up front.
    feed = replayDir(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'], 700);
    dirs.push(feed);
    for (const f of ['LTC_BTC-5m.json', 'XLM_BTC-5m.json']) await store.upsertCandles(await readReplayFile(join(feed, f), { log }));
    for (let i = 0; i < 2; i += 1) {
      const port = await freePort();
      const run = spawnDaemon(['--feed', `replay:${feed}`], daemonEnv(schema, port));
      children.push(run);
      instances.push({ port, run });
    }
    await vi.waitFor(
      async () => {
        for (const x of instances) {
          if (x.run.child.exitCode !== null) throw new Error(`a daemon exited early:\n${x.run.stderr().slice(-3000)}`);
          expect(await healthy(x.port)).toBe(true);
        }
      },
      { timeout: 180_000, interval: 250 },
    );
  }, 240_000);

  afterAll(async () => {
    await store?.close();
  });

  const leaders = async () => (await Promise.all(instances.map(async (x) => ((await healthy(x.port)) ? await metricValue(x.port, 'is_leader') : -1))));

  it('elects exactly one leader; a forced retrain from the CLI runs exactly once, on the leader', async () => {
    await vi.waitFor(async () => expect((await leaders()).sort()).toEqual([0, 1]), { timeout: 60_000, interval: 250 });
    const leader = instances[(await leaders()).indexOf(1)]!;

    const filed = await cli(['retrain', '--force', '--reason', 'leadership test', '--json'], { DATABASE_URL: schema.url, SIGNALBASE_SCHEMA: schema.schema });
    expect(filed.code, filed.stderr).toBe(0);
    const { request_id: id, status, source, force } = JSON.parse(filed.stdout) as { request_id: string; status: string; source: string; force: boolean };
    expect({ status, source, force }).toEqual({ status: 'PENDING', source: 'cli', force: true });

    await vi.waitFor(async () => expect((await store.getRetrain(id))?.status).toBe('DONE'), { timeout: 240_000, interval: 500 });
    const done = (await store.getRetrain(id))!;
    expect(done.claimedBy).toBe(`${hostname()}:${leader.run.child.pid}`);
    const models = await store.listModels();
    expect(models).toHaveLength(1);
    expect(done.modelVersion).toBe(models[0]!.version);
    expect(await store.listRetrains(10)).toHaveLength(1);
  }, 300_000);

  it('kill -9 of the leader hands the leadership to the other instance, which serves the next request', async () => {
    const before = await leaders();
    const leader = instances[before.indexOf(1)]!;
    const other = instances[before.indexOf(0)]!;
    leader.run.child.kill('SIGKILL');
    expect(await leader.run.exited).toBe('SIGKILL');
    // Postgres drops the dead session's advisory lock; the follower retries every 5 s (LEADER_RETRY_MS).
    await vi.waitFor(async () => expect(await metricValue(other.port, 'is_leader')).toBe(1), { timeout: 30_000, interval: 250 });

    const r = await store.enqueueRetrain({ source: 'operator', force: true, reason: 'after the takeover' });
    await vi.waitFor(async () => expect((await store.getRetrain(r.id))?.status).toBe('DONE'), { timeout: 240_000, interval: 500 });
    expect((await store.getRetrain(r.id))!.claimedBy).toBe(`${hostname()}:${other.run.child.pid}`);
    expect(await store.listModels()).toHaveLength(2);

    other.run.child.kill('SIGTERM');
    expect(await other.run.exited).toBe(0);
  }, 300_000);
});

describe.runIf(pg.available)('SHARD=0/2 and SHARD=1/2 on one feed', () => {
  const schema = createTestSchema('shard');
  schemas.push(schema);
  const FILES = ['DASH_BTC-5m.json', 'LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'ZEC_BTC-5m.json'];
  const N = 120;

  it('takes every candle exactly once between them and stores predictions for every symbol', async () => {
    await (await migratedStore(schema)).close();
    const feed = replayDir(FILES, N);
    dirs.push(feed);
    const symbols = FILES.map((f) => f.replace('-5m.json', '').replace('_', '/'));
    const mine = [0, 1].map((i) => symbols.filter((s) => hash32(s) % 2 === i));
    // Both shards hold a symbol (else the test would not show the split).
    expect(mine.map((m) => m.length > 0)).toEqual([true, true]);

    const shards = await Promise.all(
      [0, 1].map(async (i) => {
        const port = await freePort();
        const run = spawnDaemon(['--feed', `replay:${feed}`], daemonEnv(schema, port, { SHARD: `${i}/2` }));
        children.push(run);
        return { port, run };
      }),
    );
    // Each instance ingests exactly its own symbols' candles (after the replay: it keeps serving).
    await vi.waitFor(
      async () => {
        for (const [i, x] of shards.entries()) {
          if (x.run.child.exitCode !== null) throw new Error(`shard ${i} exited early:\n${x.run.stderr().slice(-3000)}`);
          expect(await metricValue(x.port, 'candles_ingested_total')).toBe(mine[i]!.length * N);
        }
      },
      { timeout: 180_000, interval: 250 },
    );
    const store = await migratedStore(schema);
    try {
      await vi.waitFor(async () => expect((await store.listCandleSeries()).reduce((n, s) => n + s.count, 0)).toBe(FILES.length * N), {
        timeout: 60_000,
        interval: 250,
      });
      await vi.waitFor(async () => expect(new Set((await allPredictions(store)).map((p) => p.symbol))).toEqual(new Set(symbols)), {
        timeout: 60_000,
        interval: 250,
      });
    } finally {
      await store.close();
    }
    for (const x of shards) x.run.child.kill('SIGTERM');
    expect(await Promise.all(shards.map((x) => x.run.exited))).toEqual([0, 0]);
  }, 300_000);
});
