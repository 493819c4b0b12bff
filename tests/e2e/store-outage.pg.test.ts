/**
 * The store goes away mid-replay (DESIGN.md "Persistence never blocks the signal path"): a daemon
 * child replays real candles into a real Postgres schema through a TCP proxy; a real websocket
 * client is subscribed. Mid-replay the proxy resets every connection and blackholes new ones (a
 * network partition) until /readyz reports the outbox degraded, then heals.
 *  - signals keep reaching the subscriber while the store is unreachable;
 *  - /readyz answers 503 with the outbox degraded during the outage;
 *  - under --once the daemon exits 0 after the replay, and the store then holds every signal the
 *    client saw, each exactly once, in the same stream order, and nothing more: the complete
 *    2 × (N - 49) of an uninterrupted run (tests/daemon/replay.test.ts explains the 49), and every
 *    candle with no gap.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareCursors } from '../../src/domain/prediction.ts';
import { type Signal } from '../../src/domain/signal.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { removeDir, replayDir, tempDir } from '../helpers/daemon.ts';
import { createTestSchema, serverPostgres, type TestSchema } from '../helpers/pg.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { expectCandlesComplete, pgStore, startDaemon, storedState, subscribe, viaPort, type RunningDaemon } from './helpers.ts';

const pg = await serverPostgres();

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
const N = 500;
const PER_SERIES = N - (IndicatorSet.WARMUP_CANDLES - 1);
/** data/sample: both files start at 2018-01-10 04:55 UTC. */
const FIRST_OPEN = Date.UTC(2018, 0, 10, 4, 55);

const cursor = (s: Signal) => ({ candleTime: Date.parse(s.candle_time), symbol: s.symbol, timeframe: s.timeframe, modelVersion: s.model_version, id: s.id });

describe.runIf(pg.available)('a store outage mid-replay (Postgres behind a TCP proxy)', () => {
  let schema: TestSchema;
  let proxy: TcpProxy;
  let daemon: RunningDaemon | undefined;
  let key: string;
  const dirs: string[] = [];

  beforeAll(async () => {
    schema = createTestSchema('e2e_outage');
    const store = await pgStore(schema.url, schema.schema, true);
    try {
      key = (await store.createApiKey({ name: 'e2e-outage', type: 'stream' })).key;
    } finally {
      await store.close();
    }
    proxy = await TcpProxy.start({ host: new URL(schema.url).hostname, port: Number(new URL(schema.url).port || 5432) });
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await proxy?.close();
    await schema?.drop();
    for (const d of dirs) removeDir(d);
  });

  it('keeps publishing while the store is unreachable, then stores everything exactly once', async () => {
    const feed = replayDir(FILES, N);
    const data = tempDir('outage');
    dirs.push(feed, data);
    // 5 m candles 3,000x faster: a tick every 100 ms, ~50 s for the replay; the outage needs ~15 s
    // of it (the outbox reports degraded after 10 s of failing writes, the first failing after the
    // 5 s connect timeout of a blackholed connection).
    daemon = await startDaemon(['--once', '--feed', `replay:${feed}?speed=3000`], {
      DATABASE_URL: viaPort(schema.url, proxy.port),
      SIGNALBASE_SCHEMA: schema.schema,
      SIGNALBASE_DATA_DIR: data,
    });
    const client = await subscribe(daemon.port, key, '2000-01-01T00:00:00.000Z');
    await vi.waitFor(() => expect(client.signals.length).toBeGreaterThanOrEqual(40), { timeout: 60_000, interval: 50 });
    expect(proxy.forwarded).toBeGreaterThan(0); // the daemon does reach the store through the proxy

    proxy.cut('blackhole');
    const atCut = client.signals.length;
    let degraded: { status: number; reasons: string[] } | undefined;
    await vi.waitFor(
      async () => {
        const res = await fetch(`${daemon!.base}/readyz`);
        const body = (await res.json()) as { reasons: string[] };
        expect(body.reasons.some((r) => r.startsWith('outbox degraded'))).toBe(true);
        degraded = { status: res.status, reasons: body.reasons };
      },
      { timeout: 40_000, interval: 500 },
    );
    const atHeal = client.signals.length;
    proxy.heal();

    expect(degraded!.status).toBe(503);
    // The replay went on while the store was cut off (~15 s at a tick every 100 ms).
    expect(atHeal - atCut).toBeGreaterThanOrEqual(20);
    // ...and the daemon did try to reach it meanwhile (new connections met the partition).
    expect(proxy.rejected).toBeGreaterThan(0);
    // The replay was not over when the store came back, so writes resumed during the replay too.
    expect(atHeal).toBeLessThan(SYMBOLS.length * PER_SERIES);

    const code = await daemon.exited;
    if (code !== 0) throw new Error(`daemon exited ${code}:\n${daemon.stderr().slice(-3000)}`);
    expect(await client.closed).toBe(1001);

    const received = client.signals;
    expect(received).toHaveLength(SYMBOLS.length * PER_SERIES);
    expect(new Set(received.map((s) => s.id)).size).toBe(received.length);
    for (let i = 1; i < received.length; i++) expect(compareCursors(cursor(received[i - 1]!), cursor(received[i]!))).toBeLessThan(0);

    const stored = await storedState(schema.url, schema.schema);
    expect(stored.predictions.map((p) => p.id)).toEqual(received.map((s) => s.id));
    expect(stored.predictions.map((p) => p.predictedDirection)).toEqual(received.map((s) => s.predicted_direction));
    expectCandlesComplete(stored, SYMBOLS, N, FIRST_OPEN);
  }, 150_000);
});
