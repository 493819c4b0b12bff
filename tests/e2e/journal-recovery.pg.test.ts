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
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { freePort, metricValue, removeDir, replayDir, spawnDaemon, tempDir } from '../helpers/daemon.ts';
import { createTestSchema } from '../helpers/pg.ts';
import { privatePostgres, startPrivateCluster, type PrivateCluster } from '../helpers/private-pg.ts';
import { mountTmpfs, tmpfsAvailable } from '../helpers/tmpfs.ts';
import { pgStore, startDaemon, subscribe, type RunningDaemon } from './helpers.ts';
import { expectSameLedger, readLedger, type Ledger } from './ledger.ts';

const pp = privatePostgres();
if (!pp.available) console.warn(`journal-recovery.pg.test.ts skipped: ${pp.reason}`);

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 400;
/** The restart's feed: fewer candles than the first prediction needs (IndicatorSet.WARMUP_CANDLES = 50). */
const RESTART_CANDLES = 40;
/** The outbox's default in-memory bound (store/outbox/outbox.ts maxInMemory), in rows. */
const OUTBOX_MAX_IN_MEMORY = 10_000;

describe.runIf(pp.available)('kill -9 while the store is down: the journal alone restores the rows', () => {
  let cluster: PrivateCluster;
  const dirs: string[] = [];
  let daemon: RunningDaemon | undefined;

  beforeAll(async () => {
    cluster = await startPrivateCluster();
  }, 120_000);

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

  /**
   * A paced replay; the server stopped after 30 ticks; every tick processed while it is down; then
   * SIGKILL, and the server started again.
   */
  async function crashDuringOutage(feed: string, env: Record<string, string>): Promise<void> {
    // 5 m candles 9,000x faster: a tick every ~33 ms, ~13 s for the replay.
    daemon = await startDaemon(['--feed', `replay:${feed}?speed=9000`], env);
    await vi.waitFor(async () => expect(await metricValue(daemon!.port, 'ticks_total')).toBeGreaterThanOrEqual(30), { timeout: 60_000, interval: 100 });
    cluster.stop('immediate');
    await vi.waitFor(async () => expect(await metricValue(daemon!.port, 'ticks_total')).toBe(N), { timeout: 90_000, interval: 200 });
    expect(await metricValue(daemon.port, 'outbox_depth')).toBeGreaterThan(2000);
    daemon.child.kill('SIGKILL');
    expect(await daemon.exited).toBe('SIGKILL');
    cluster.start();
  }

  let feed: string;
  let reference: Ledger;

  beforeAll(async () => {
    feed = replayDir(FILES, N);
    dirs.push(feed);
    const ref = target('jr_ref');
    await runOnce(feed, ref.env);
    reference = await readLedger(cluster.url, ref.schema);
    expect(reference.candles).toHaveLength(FILES.length * N);
    expect(reference.predictions.length).toBeGreaterThan(FILES.length * (N - 60));
    expect(reference.samples.length).toBeGreaterThan(FILES.length * (N - 100));
  }, 120_000);

  it('stores exactly what an uninterrupted run stores, though the feed cannot replay it', async () => {
    const short = replayDir(FILES, RESTART_CANDLES);
    dirs.push(short);

    const run = target('jr_run');
    await crashDuringOutage(feed, run.env);
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

  it('a journal cut inside a tick (after its outcomes, before its samples) plus garbage loses nothing', async () => {
    const run = target('jr_torn');
    await crashDuringOutage(feed, run.env);
    const dir = join(run.env.SIGNALBASE_DATA_DIR, 'outbox');
    const segment = readdirSync(dir).filter((n) => n.startsWith('journal-')).sort().at(-1)!;
    const path = join(dir, segment);
    const lines = readFileSync(path, 'utf8').split('\n');
    // Cut right after the outcome entries of a tick in the middle of the journal, before its samples.
    const ops = lines.map((l) => (l ? (JSON.parse(l) as { op: string }).op : ''));
    let cut = -1;
    for (let i = Math.floor(lines.length / 2); i < lines.length - 1 && cut < 0; i++) if (ops[i] === 'resolvePredictions' && ops[i + 1] === 'insertTrainingSamples') cut = i + 1;
    expect(cut).toBeGreaterThan(0);
    writeFileSync(path, `${lines.slice(0, cut).join('\n')}\n{"seq":"garbage\n\u0000\u0000{"torn`);

    const log = await runOnce(feed, run.env);
    expect(log).toContain('torn, unreadable or incomplete');
    const after = await readLedger(cluster.url, run.schema);
    expectSameLedger(after, reference);
  }, 240_000);

  it('run --once exits non-zero naming what is still journaled when the store is down at the end; a rerun completes it', async () => {
    const run = target('jr_once');
    const port = await freePort();
    const paced = spawnDaemon(['--once', '--feed', `replay:${feed}?speed=9000`], { ...run.env, PORT: String(port) });
    await vi.waitFor(async () => expect(await metricValue(port, 'ticks_total')).toBeGreaterThanOrEqual(30), { timeout: 60_000, interval: 100 });
    cluster.stop('immediate');
    try {
      expect(await paced.exited).toBe(1);
    } finally {
      cluster.start();
    }
    expect(paced.stderr()).toMatch(/OUTBOX_NOT_FLUSHED|still journaled/);
    expect(paced.stderr()).toMatch(/\d+ insertPredictions.*\d+ resolvePredictions.*\d+ insertTrainingSamples.*\d+ upsertCandles/s);
    expect(paced.stderr()).toContain(join(run.env.SIGNALBASE_DATA_DIR, 'outbox'));

    await runOnce(feed, run.env);
    expectSameLedger(await readLedger(cluster.url, run.schema), reference);
  }, 240_000);

  it.runIf(tmpfsAvailable().available)('a full disk under the journal: exit 1 naming ENOSPC and the path; with space freed the same command completes', async () => {
    const run = target('jr_full');
    const fs = mountTmpfs('1m');
    try {
      const env = { ...run.env, SIGNALBASE_DATA_DIR: fs.dir };
      const full = spawnDaemon(['--once', '--feed', `replay:${feed}`], { ...env, PORT: '0' });
      expect(await full.exited).toBe(1);
      expect(full.stderr()).toContain('ENOSPC');
      expect(full.stderr()).toContain(join(fs.dir, 'outbox'));
      fs.resize('64m');
      await runOnce(feed, env);
      expectSameLedger(await readLedger(cluster.url, run.schema), reference);
    } finally {
      fs.destroy();
    }
  }, 240_000);

  it('the server stopped for 60 s and more mid-run: /readyz 503 with a reason, subscribers served, the outbox\'s memory bounded, then 200 and nothing lost or doubled', async () => {
    // Long enough that the replay outlasts the outage: 2,200 ticks, one every ~33 ms (5 m candles
    // 9,000x faster), ~73 s at the pace, longer on a loaded machine. 8 rows a tick (a prediction,
    // an outcome, a training sample and a candle per symbol) put ~14,000 rows in the backlog in 60 s.
    const longN = 2200;
    const longFeed = replayDir(FILES, longN);
    dirs.push(longFeed);
    const ref = target('jr_long_ref');
    await runOnce(longFeed, ref.env);
    const longReference = await readLedger(cluster.url, ref.schema);
    expect(longReference.candles).toHaveLength(FILES.length * longN);

    const run = target('jr_outage');
    const store = await pgStore(cluster.url, run.schema, true);
    const key = await store.createApiKey({ name: 'outage', type: 'stream' }).finally(() => store.close());
    daemon = await startDaemon(['--feed', `replay:${longFeed}?speed=9000`], run.env);
    const client = await subscribe(daemon.port, key.key, '2000-01-01T00:00:00.000Z');
    await vi.waitFor(() => expect(client.signals.length).toBeGreaterThanOrEqual(40), { timeout: 60_000, interval: 100 });
    cluster.stop('immediate');
    const stoppedAt = performance.now();
    const atStop = client.signals.length;
    let during: { status: number; reasons: string[] } | undefined;
    await vi.waitFor(
      async () => {
        const res = await fetch(`${daemon!.base}/readyz`);
        during = { status: res.status, reasons: ((await res.json()) as { reasons: string[] }).reasons };
        expect(during.status).toBe(503);
      },
      { timeout: 30_000, interval: 250 },
    );
    expect(during!.reasons.join('; ')).toMatch(/store unreachable|outbox degraded/);

    // The server stays down for 60 s at least, and until the backlog is well past the outbox's
    // in-memory bound (state, not a rate: a slow machine just keeps it down longer). Meanwhile the
    // rows held in memory never pass the bound; the rest wait in the journal.
    let maxInMemory = 0;
    let depth = 0;
    await vi.waitFor(
      async () => {
        maxInMemory = Math.max(maxInMemory, await metricValue(daemon!.port, 'outbox_in_memory_rows'));
        depth = await metricValue(daemon!.port, 'outbox_depth');
        expect(performance.now() - stoppedAt).toBeGreaterThanOrEqual(60_000);
        expect(depth).toBeGreaterThan(1.2 * OUTBOX_MAX_IN_MEMORY);
      },
      { timeout: 240_000, interval: 500 },
    );
    expect(maxInMemory).toBeLessThanOrEqual(OUTBOX_MAX_IN_MEMORY);
    // The gauge is live: the window was full while nothing could drain.
    expect(maxInMemory).toBeGreaterThan(OUTBOX_MAX_IN_MEMORY / 2);
    const atStart = client.signals.length;
    cluster.start();
    // The subscriber was served throughout, and the replay was not over when the store came back.
    expect(atStart - atStop).toBeGreaterThanOrEqual(depth / 8);
    expect(atStart).toBeLessThan(longReference.predictions.length);
    await vi.waitFor(async () => expect((await fetch(`${daemon!.base}/readyz`)).status).toBe(200), { timeout: 60_000, interval: 250 });

    await vi.waitFor(
      async () => {
        expect(await metricValue(daemon!.port, 'ticks_total')).toBe(longN);
        expect(await metricValue(daemon!.port, 'outbox_depth')).toBe(0);
      },
      { timeout: 240_000, interval: 500 },
    );
    daemon.child.kill('SIGTERM');
    const code = await daemon.exited;
    if (code !== 0) throw new Error(`daemon exited ${code}:\n${daemon.stderr().slice(-3000)}`);
    // An outage is no reason to give a row up: nothing went to the dead-letter file.
    expect(daemon.stderr().split('\n').filter((l) => l.includes('dead-letter') || l.includes('row-specific'))).toEqual([]);
    expect(client.signals.map((x) => x.id)).toHaveLength(longReference.predictions.length);
    expect(new Set(client.signals.map((x) => x.id)).size).toBe(client.signals.length);
    expectSameLedger(await readLedger(cluster.url, run.schema), longReference);
  }, 600_000);
});
