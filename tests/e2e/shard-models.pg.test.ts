/**
 * A model activated in the shared store reaches every instance (issue 20, fault 6), on a PRIVATE
 * Postgres cluster (tests/helpers/private-pg.ts): two daemon children, SHARD=0/2 and SHARD=1/2, on
 * one schema, replay four real symbols paced (each shard owns two: FNV-1a mod 2). Two models are
 * trained beforehand (`train --activate`, so the gate's verdict does not matter), B active when the
 * shards start; then `signalbase models activate A` from a third process. Within seconds every
 * symbol of BOTH shards must be signed by A (read with SQL from the store: the latest prediction of
 * each symbol), and the shards' union must hold no candle computed twice.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, replayDir, spawnDaemon, tempDir } from '../helpers/daemon.ts';
import { createTestSchema } from '../helpers/pg.ts';
import { privatePostgres, startPrivateCluster, type PrivateCluster } from '../helpers/private-pg.ts';
import { runCli } from '../store/cli-run.ts';
import { startDaemon, type RunningDaemon } from './helpers.ts';

const pp = privatePostgres();
if (!pp.available) console.warn(`shard-models.pg.test.ts skipped: ${pp.reason}`);

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'DASH_BTC-5m.json', 'ZEC_BTC-5m.json'];
const SYMBOLS = ['DASH/BTC', 'LTC/BTC', 'XLM/BTC', 'ZEC/BTC'];
const HISTORY = 400;
const SAMPLE = new URL('../../data/sample/', import.meta.url);

describe.runIf(pp.available)('SHARD=0/2 and 1/2 both serve the model activated in the shared store', () => {
  let cluster: PrivateCluster;
  const dirs: string[] = [];
  const daemons: RunningDaemon[] = [];
  let env: Record<string, string>;
  let schema: string;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
    schema = createTestSchema('shard_models', cluster.url).schema;
    env = { DATABASE_URL: cluster.url, SIGNALBASE_SCHEMA: schema, TFJS_BACKEND: 'wasm' };
  }, 120_000);

  afterAll(async () => {
    for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
    await Promise.all(daemons.map((d) => d.exited));
    cluster?.destroy();
    for (const d of dirs) removeDir(d);
  });

  async function cli(args: string[]): Promise<string> {
    const r = await runCli(args, { ...env, SIGNALBASE_DATA_DIR: tempDir('cli') });
    if (r.code !== 0) throw new Error(`signalbase ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    return r.stdout;
  }

  /** The model version of each symbol's newest stored prediction. */
  async function latestVersions(): Promise<Record<string, string>> {
    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ symbol: string; model_version: string }>(`SELECT DISTINCT ON (symbol) symbol, model_version FROM "${schema}".ml_predictions ORDER BY symbol, candle_time DESC`);
      return Object.fromEntries(rows.map((r) => [r.symbol, r.model_version]));
    } finally {
      await c.end();
    }
  }

  it('a `models activate` reaches both shards within seconds; no candle computed twice', async () => {
    const history = replayDir(FILES, HISTORY);
    dirs.push(history);
    const run = spawnDaemon(['--once', '--feed', `replay:${history}`], { ...env, SIGNALBASE_DATA_DIR: tempDir('history'), PORT: '0' });
    const code = await run.exited;
    if (code !== 0) throw new Error(`history run exited ${code}:\n${run.stderr().slice(-3000)}`);

    const version = (out: string) => /status: active \((v[\w-]+)\)/.exec(out)?.[1] ?? '';
    const a = version(await cli(['train', '--activate', '--seed', '1', '--epochs', '1', '--units', '4']));
    const b = version(await cli(['train', '--activate', '--seed', '2', '--epochs', '1', '--units', '4']));
    expect(a).toMatch(/^v\d{14}-[0-9a-f]{6}$/);
    expect(b).toMatch(/^v\d{14}-[0-9a-f]{6}$/);
    expect(b).not.toBe(a);

    // The live part: the next candles, one 5 m candle every 0.5 s.
    const live = tempDir('live');
    dirs.push(live);
    for (const f of FILES) writeFileSync(join(live, f), JSON.stringify((JSON.parse(readFileSync(new URL(f, SAMPLE), 'utf8')) as unknown[]).slice(HISTORY, HISTORY + 400)));
    for (const shard of ['0/2', '1/2']) {
      const data = tempDir(`shard${shard[0]}`);
      dirs.push(data);
      daemons.push(await startDaemon(['--feed', `replay:${live}?speed=600`], { ...env, SHARD: shard, SIGNALBASE_DATA_DIR: data }));
    }
    await vi.waitFor(async () => expect(await latestVersions()).toEqual(Object.fromEntries(SYMBOLS.map((s) => [s, b]))), { timeout: 60_000, interval: 500 });

    await cli(['models', 'activate', a]);
    await vi.waitFor(async () => expect(await latestVersions()).toEqual(Object.fromEntries(SYMBOLS.map((s) => [s, a]))), { timeout: 30_000, interval: 500 });

    const c = new pg.Client({ connectionString: cluster.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string }>(`SELECT count(*) - count(DISTINCT (symbol, timeframe, candle_time)) AS n FROM "${schema}".ml_predictions`);
      expect(Number(rows[0]!.n)).toBe(0);
    } finally {
      await c.end();
    }
  }, 300_000);
});
