/**
 * kill -9 mid-replay on a real Postgres (the embedded-store version is tests/daemon/replay.test.ts):
 * a daemon child killed with SIGKILL half-way through a paced replay, then restarted with --once on
 * the same schema and data directory (its outbox journal), ends with exactly the predictions of an
 * uninterrupted run into another schema: same ids in the same order, same numbers, none missing,
 * none duplicated, and every candle.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { expectSamePrediction, metricValue, removeDir, replayDir, spawnDaemon, tempDir } from '../helpers/daemon.ts';
import { createTestSchema, serverPostgres, type TestSchema } from '../helpers/pg.ts';
import { expectCandlesComplete, startDaemon, storedState, type RunningDaemon, type StoredState } from './helpers.ts';

const pg = await serverPostgres();

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
const N = 300;
const PER_SERIES = N - (IndicatorSet.WARMUP_CANDLES - 1);
/** data/sample: both files start at 2018-01-10 04:55 UTC. */
const FIRST_OPEN = Date.UTC(2018, 0, 10, 4, 55);

describe.runIf(pg.available)('kill -9 mid-replay on Postgres, then a restart', () => {
  const schemas: TestSchema[] = [];
  const dirs: string[] = [];
  let feed: string;
  let killed: RunningDaemon | undefined;

  beforeAll(() => {
    feed = replayDir(FILES, N);
    dirs.push(feed);
  });

  afterAll(async () => {
    if (killed && killed.child.exitCode === null) killed.child.kill('SIGKILL');
    for (const s of schemas) await s.drop();
    for (const d of dirs) removeDir(d);
  });

  /** A fresh schema (the daemon migrates it) and data directory. */
  function target(prefix: string) {
    const schema = createTestSchema(prefix);
    const data = tempDir(prefix);
    schemas.push(schema);
    dirs.push(data);
    return { schema, env: { DATABASE_URL: schema.url, SIGNALBASE_SCHEMA: schema.schema, SIGNALBASE_DATA_DIR: data } };
  }

  async function runOnce(env: Record<string, string>): Promise<void> {
    const run = spawnDaemon(['--once', '--feed', `replay:${feed}`], { ...env, PORT: '0' });
    const code = await run.exited;
    if (code !== 0) throw new Error(`--once run exited ${code}:\n${run.stderr().slice(-3000)}`);
  }

  it('stores the same predictions as an uninterrupted run, none missing, none duplicated', async () => {
    const ref = target('e2e_kill_ref');
    await runOnce(ref.env);
    const reference: StoredState = await storedState(ref.schema.url, ref.schema.schema);
    expect(reference.predictions).toHaveLength(SYMBOLS.length * PER_SERIES);
    expectCandlesComplete(reference, SYMBOLS, N, FIRST_OPEN);

    const run = target('e2e_kill');
    // Paced (5 m candles 9,000x faster: ~33 ms a tick) so the kill lands mid-replay.
    killed = await startDaemon(['--feed', `replay:${feed}?speed=9000`], run.env);
    await vi.waitFor(async () => expect(await metricValue(killed!.port, 'ticks_total')).toBeGreaterThanOrEqual(150), { timeout: 60_000, interval: 100 });
    killed.child.kill('SIGKILL');
    expect(await killed.exited).toBe('SIGKILL');
    const atKill = await storedState(run.schema.url, run.schema.schema);
    // The store was left mid-replay (else the kill proved nothing): some predictions, not all.
    expect(atKill.predictions.length).toBeGreaterThan(0);
    expect(atKill.predictions.length).toBeLessThan(reference.predictions.length);

    await runOnce(run.env);
    const after = await storedState(run.schema.url, run.schema.schema);
    expectCandlesComplete(after, SYMBOLS, N, FIRST_OPEN);
    expect(after.predictions.map((p) => p.id)).toEqual(reference.predictions.map((p) => p.id));
    after.predictions.forEach((p, i) => expectSamePrediction(p, reference.predictions[i]!));
  }, 150_000);
});
