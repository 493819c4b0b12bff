/**
 * The outbox journal is what recovers the rows (issue 20, fault 2), proven at daemon level on a
 * PRIVATE Postgres cluster this file starts and stops (tests/helpers/private-pg.ts):
 *
 *   1. a daemon child replays real candles (paced) into the cluster;
 *   2. the SERVER is stopped (pg_ctl stop -m immediate) a few ticks in; the replay goes on, so
 *      thousands of predictions, outcomes, training samples and candles exist only in the journal;
 *   3. the daemon is killed with SIGKILL while the server is still down;
 *   4. the server is started again and the daemon restarted (--once) on the same data directory
 *      with a feed of only the first 40 candles: a feed that cannot regenerate what was lost (the
 *      first prediction needs 50 candles), so whatever the store ends up holding beyond them came
 *      from the journal.
 *
 * The store must then equal an uninterrupted run's, read with plain SQL (ledger.ts): every
 * prediction with its outcome, every training sample, every candle, no duplicate on keys the schema
 * does not make unique.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { metricValue, removeDir, replayDir, spawnDaemon, tempDir } from '../helpers/daemon.ts';
import { createTestSchema } from '../helpers/pg.ts';
import { privatePostgres, startPrivateCluster, type PrivateCluster } from '../helpers/private-pg.ts';
import { startDaemon, type RunningDaemon } from './helpers.ts';
import { readLedger } from './ledger.ts';

const pp = privatePostgres();
if (!pp.available) console.warn(`journal-recovery.pg.test.ts skipped: ${pp.reason}`);

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 400;
/** The restart's feed: fewer candles than the first prediction needs (IndicatorSet.WARMUP_CANDLES = 50). */
const RESTART_CANDLES = 40;

describe.runIf(pp.available)('kill -9 while the store is down: the journal alone restores the rows', () => {
  let cluster: PrivateCluster;
  const dirs: string[] = [];
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
  });

  afterAll(() => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    cluster?.destroy();
    for (const d of dirs) removeDir(d);
  });

  function target(prefix: string) {
    const schema = createTestSchema(prefix, cluster.url);
    const data = tempDir(prefix);
    dirs.push(data);
    return { schema: schema.schema, env: { DATABASE_URL: cluster.url, SIGNALBASE_SCHEMA: schema.schema, SIGNALBASE_DATA_DIR: data } };
  }

  async function runOnce(feed: string, env: Record<string, string>): Promise<string> {
    const run = spawnDaemon(['--once', '--feed', `replay:${feed}`], { ...env, PORT: '0' });
    const code = await run.exited;
    if (code !== 0) throw new Error(`--once run exited ${code}:\n${run.stderr().slice(-3000)}`);
    return run.stderr();
  }

  it('stores exactly what an uninterrupted run stores, though the feed cannot replay it', async () => {
    const feed = replayDir(FILES, N);
    const short = replayDir(FILES, RESTART_CANDLES);
    dirs.push(feed, short);

    const ref = target('jr_ref');
    await runOnce(feed, ref.env);
    const reference = await readLedger(cluster.url, ref.schema);
    expect(reference.candles).toHaveLength(FILES.length * N);
    expect(reference.predictions.length).toBeGreaterThan(FILES.length * (N - 60));
    expect(reference.samples.length).toBeGreaterThan(FILES.length * (N - 100));

    const run = target('jr_run');
    // 5 m candles 9,000x faster: a tick every ~33 ms, ~13 s for the replay.
    daemon = await startDaemon(['--feed', `replay:${feed}?speed=9000`], run.env);
    await vi.waitFor(async () => expect(await metricValue(daemon!.port, 'ticks_total')).toBeGreaterThanOrEqual(30), { timeout: 60_000, interval: 100 });
    cluster.stop('immediate');
    // Every tick processed, the store still down: the rest of the replay is only in the journal.
    await vi.waitFor(async () => expect(await metricValue(daemon!.port, 'ticks_total')).toBe(N), { timeout: 90_000, interval: 200 });
    const journaled = await metricValue(daemon.port, 'outbox_depth');
    expect(journaled).toBeGreaterThan(2000);
    daemon.child.kill('SIGKILL');
    expect(await daemon.exited).toBe('SIGKILL');
    cluster.start();

    const atKill = await readLedger(cluster.url, run.schema);
    expect(atKill.predictions.length).toBeLessThan(reference.predictions.length / 2);

    const log = await runOnce(short, run.env);
    expect(log).toContain('replaying journaled store writes');
    const after = await readLedger(cluster.url, run.schema);
    expect(after.duplicatePredictions).toBe(0);
    expect(after.duplicateSamples).toBe(0);
    expect(after.candles).toEqual(reference.candles);
    expect(after.predictions).toEqual(reference.predictions);
    expect(after.samples).toEqual(reference.samples);
    expect(after.open).toBe(reference.open);
  }, 240_000);
});
