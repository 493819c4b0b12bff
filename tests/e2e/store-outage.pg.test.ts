/**
 * The store goes away mid-replay (DESIGN.md "Persistence never blocks the signal path"): a daemon
 * child replays real candles into a real Postgres schema through a TCP proxy; a real websocket
 * client is subscribed. Mid-replay the proxy resets every connection and blackholes new ones (a
 * network partition) until /readyz reports the outbox degraded, then heals.
 *  - signals keep reaching the subscriber while the store is unreachable;
 *  - /readyz answers 503 with the outbox degraded during the outage;
 *  - once the store is back and the backlog applied, the daemon is stopped (SIGTERM; the feed and
 *    the tick loop stop before the API server, so every processed tick reached the client) and the
 *    store holds every signal the client saw, each exactly once, in the same stream order, and
 *    nothing more: per symbol (candles - 49) predictions (tests/daemon/replay.test.ts explains the
 *    49), and every candle from the first with no gap.
 * Driven by state, not by timing: the replay (3,000 ticks, one every 100 ms: 5 minutes) cannot end
 * within the test, so the outage never races the end of the feed, whatever the machine's load.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareCursors } from '../../src/domain/prediction.ts';
import { type Signal } from '../../src/domain/signal.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { metricValue, removeDir, replayDir, tempDir } from '../helpers/daemon.ts';
import { createTestSchema, serverPostgres, type TestSchema } from '../helpers/pg.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { expectCandlesComplete, pgStore, startDaemon, storedState, subscribe, viaPort, type RunningDaemon } from './helpers.ts';

const pg = await serverPostgres();

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
/** More candles than the test ever reaches at its pace. */
const N = 3000;
const WARMUP = IndicatorSet.WARMUP_CANDLES - 1;
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
    // 5 m candles 3,000x faster: a tick every 100 ms, 5 minutes for the replay, never reached.
    daemon = await startDaemon(['--feed', `replay:${feed}?speed=3000`], {
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
      { timeout: 60_000, interval: 500 },
    );
    const atHeal = client.signals.length;
    const depthAtHeal = await metricValue(daemon.port, 'outbox_depth');
    proxy.heal();

    expect(degraded!.status).toBe(503);
    // The replay went on while the store was cut off, and its writes piled up in the outbox.
    expect(atHeal).toBeGreaterThan(atCut);
    expect(depthAtHeal).toBeGreaterThan(0);
    // ...and the daemon did try to reach it meanwhile (new connections met the partition).
    expect(proxy.rejected).toBeGreaterThan(0);

    // Writes resume while the replay goes on: ready again, the backlog applied, signals still coming.
    await vi.waitFor(async () => expect((await fetch(`${daemon!.base}/readyz`)).status).toBe(200), { timeout: 60_000, interval: 250 });
    await vi.waitFor(async () => expect(await metricValue(daemon!.port, 'outbox_depth')).toBe(0), { timeout: 60_000, interval: 250 });
    const afterHeal = client.signals.length;
    await vi.waitFor(() => expect(client.signals.length).toBeGreaterThan(afterHeal), { timeout: 30_000, interval: 100 });

    daemon.child.kill('SIGTERM');
    const code = await daemon.exited;
    if (code !== 0) throw new Error(`daemon exited ${code}:\n${daemon.stderr().slice(-3000)}`);
    expect(await client.closed).toBe(1001);

    const received = client.signals;
    expect(new Set(received.map((s) => s.id)).size).toBe(received.length);
    for (let i = 1; i < received.length; i++) expect(compareCursors(cursor(received[i - 1]!), cursor(received[i]!))).toBeLessThan(0);

    const stored = await storedState(schema.url, schema.schema);
    expect(stored.predictions.map((p) => p.id)).toEqual(received.map((s) => s.id));
    expect(stored.predictions.map((p) => p.predictedDirection)).toEqual(received.map((s) => s.predicted_direction));
    // Every candle of every processed tick, from the first, no gap; one prediction per warm candle.
    const count = stored.series.get(SYMBOLS[0]!)?.count ?? 0;
    expect(count).toBeGreaterThan(WARMUP + atHeal / SYMBOLS.length);
    expectCandlesComplete(stored, SYMBOLS, count, FIRST_OPEN);
    expect(received).toHaveLength(SYMBOLS.length * (count - WARMUP));
  }, 240_000);
});
