/**
 * signalbase/client's daemon transport against a REAL daemon (child process) replaying real
 * candles (two symbols of the bundled Binance sample):
 *  - a prediction subscription for one symbol gets only that symbol's signals;
 *  - the connection is cut (a TCP proxy drops it and refuses reconnections) while the daemon keeps
 *    publishing: the client resumes after the last signal it delivered (from the daemon's memory);
 *  - the daemon is stopped mid-replay and started again on the same data directory and port: the
 *    client reconnects by itself, resumes with since = the last signal it delivered, and in the end
 *    has received exactly the stored signals of that symbol, in stream order: no gap, no duplicate
 *    (the store afterwards is the reference: it holds everything both daemons published);
 *  - a key the daemon does not know ends the client (UNAUTHORIZED), it does not retry forever.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignalClient, type Signal, type StatusEvent } from '../../src/client/index.ts';
import type { SignalClientError } from '../../src/client/errors.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { freePort, keyedReplaySetup, removeDir, spawnDaemon, storedState, type DaemonChild } from '../daemon/helpers.ts';

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 300;

const dirs: string[] = [];
const daemons: DaemonChild[] = [];
let data: string;
let feed: string;
let key: string;

beforeAll(async () => {
  const setup = await keyedReplaySetup(FILES, N, { name: 'client-test', type: 'stream' });
  ({ data, feed, key } = setup);
  dirs.push(...setup.dirs);
}, 240_000);

afterAll(() => {
  for (const d of daemons) if (d.child.exitCode === null) d.child.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
});

describe('daemon transport', () => {
  it('filters by symbol and resumes across a daemon restart with no gap and no duplicate', async () => {
    const port = await freePort();
    // 5m candles 3,000x faster: a tick every 100 ms, ~25 s for the 250 signalling ticks.
    const start = (extra: string[] = []) => {
      const d = spawnDaemon(['--feed', `replay:${feed}?speed=3000`, ...extra], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
      daemons.push(d);
      return d;
    };
    const first = start();

    const proxy = await TcpProxy.start({ host: '127.0.0.1', port });
    const via = proxy.port;
    const client = createSignalClient({ transport: 'daemon', url: `ws://127.0.0.1:${via}/v1/stream`, key, since: '2000-01-01T00:00:00.000Z', backoff: { initialMs: 100, maxMs: 500 } });
    const received: Signal[] = [];
    const statuses: StatusEvent[] = [];
    const errors: SignalClientError[] = [];
    client.onStatus((e) => statuses.push(e));
    client.onError((e) => errors.push(e));
    client.subscribeToPredictions('ltc-btc', (s) => received.push(s)); // normalised to LTC/BTC, as the server does

    try {
      // The client keeps retrying while the daemon starts (connection refused until it listens).
      await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(40), { timeout: 180_000, interval: 100 });

      // Cut the connection while the daemon goes on; restore it once LTC/BTC is 10 candles further.
      proxy.cut('refuse');
      const cutAt = Date.parse(received.at(-1)!.candle_time);
      const lastBeforeCut = client.lastSignalId;
      await vi.waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${port}/v1/indicators/LTC%2FBTC`, { headers: { Authorization: `Bearer ${key}` } });
          const snap = (await res.json()) as { candle_time: string };
          expect(Date.parse(snap.candle_time) - cutAt).toBeGreaterThanOrEqual(10 * 300_000);
        },
        { timeout: 60_000, interval: 200 },
      );
      const missedLive = received.length;
      proxy.heal();
      await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(missedLive + 10), { timeout: 60_000, interval: 50 });
      expect(statuses.some((s) => s.status === 'open' && s.since === lastBeforeCut)).toBe(true);

      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      await vi.waitFor(() => expect(statuses.at(-1)?.status).toBe('reconnecting'), { timeout: 10_000, interval: 20 });
      const beforeRestart = received.length;
      const lastBefore = client.lastSignalId;
      expect(lastBefore).toBe(received.at(-1)!.id);

      // Same data directory and port; --once: it exits when the replay ends, everything flushed.
      const second = start(['--once']);
      await vi.waitFor(() => expect(received.length).toBeGreaterThan(beforeRestart), { timeout: 180_000, interval: 100 });
      // The reconnection resumed after the last signal delivered before the restart.
      const reopened = statuses.filter((s) => s.status === 'open');
      expect(reopened.length).toBeGreaterThanOrEqual(3);
      expect(reopened.some((s) => s.since === lastBefore)).toBe(true);
      expect(await second.exited).toBe(0);
    } finally {
      await client.close();
      await proxy.close();
    }
    expect(client.status).toBe('closed');

    const stored = await storedState(data);
    const ltc = stored.predictions.filter((p) => p.symbol === 'LTC/BTC');
    // The filter mattered: the store has the other symbol's signals too.
    expect(stored.predictions.some((p) => p.symbol === 'XLM/BTC')).toBe(true);
    expect(received.every((s) => s.symbol === 'LTC/BTC')).toBe(true);
    // Exactly the stored LTC/BTC signals, in stream order: nothing lost over the restart, nothing twice.
    expect(received.map((s) => s.id)).toEqual(ltc.map((p) => p.id));
    expect(new Set(received.map((s) => s.id)).size).toBe(received.length);
    // 2 × (N − 49) signals in all for a complete replay (replay.test.ts): both daemons together completed it.
    expect(ltc.length).toBe(N - 49);
    expect(errors.filter((e) => e.code === 'RESUME_GAP' || e.code === 'UNKNOWN_SINCE')).toEqual([]);
  }, 420_000);

  it('an unknown key ends the client with UNAUTHORIZED instead of retrying', async () => {
    const port = await freePort();
    const d = spawnDaemon(['--feed', `replay:${feed}?speed=3000`], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
    daemons.push(d);
    try {
      await vi.waitFor(
        async () => expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200),
        { timeout: 180_000, interval: 200 },
      );
      const client = createSignalClient({ transport: 'daemon', url: `ws://127.0.0.1:${port}/v1/stream`, key: 'sb_not_a_key', backoff: { initialMs: 50, maxMs: 100 } });
      const statuses: StatusEvent[] = [];
      client.onStatus((e) => statuses.push(e));
      await vi.waitFor(() => expect(client.status).toBe('closed'), { timeout: 10_000, interval: 20 });
      expect(statuses.at(-1)!.error?.code).toBe('UNAUTHORIZED');
      expect(statuses.some((s) => s.status === 'reconnecting')).toBe(false);
      await client.close();
    } finally {
      d.child.kill('SIGTERM');
      await d.exited;
    }
  }, 240_000);
});
