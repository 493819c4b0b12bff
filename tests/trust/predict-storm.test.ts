/**
 * Issue 13 item 2, the attack as reported, against a real daemon child: while it replays real
 * candles live (paced, so the live loop has work the whole time), five prediction keys post rounds
 * of 100 concurrent max-size caller-candle predicts. Caller candles are computed on the main thread,
 * bounded per key and in all (daemon/compute-gate.ts: 2 per key, 4 in all, 16 waiting per key, the
 * rest 429 with Retry-After), so:
 *  - /healthz, polled all through the storm, always answers 200, half of the polls within 1 s and
 *    every one within 5 s (generous: the report saw it 3.4 s late on a quiet machine);
 *  - the live replay keeps progressing: ticks_total grows while the storm runs (the storm goes on
 *    until it has grown by 3, so the check is by state, not by a time window);
 *  - every predict is answered 200 or 429 (never a 5xx, never a hang), and some of every key's are 200.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { freePort, keyedReplaySetup, metricValue, openStoreAt, removeDir, spawnDaemon, type DaemonChild } from '../daemon/helpers.ts';
import { readFileSync } from 'node:fs';

const rows = (JSON.parse(readFileSync(new URL('../../data/sample/XLM_BTC-5m.json', import.meta.url), 'utf8')) as number[][]).map((r) => r.slice(0, 6));
const dirs: string[] = [];
let daemon: DaemonChild | undefined;
afterAll(async () => {
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  for (const d of dirs) removeDir(d);
});

describe('caller-candle predicts against a live daemon', () => {
  it('100 concurrent max-size predicts over five keys keep /healthz answering (median under 1 s) and the live replay progressing', async () => {
    const setup = await keyedReplaySetup(['LTC_BTC-5m.json'], 2_000, { name: 'storm-admin', type: 'admin' });
    dirs.push(...setup.dirs);
    const store = await openStoreAt(setup.data);
    const keys: string[] = [];
    try {
      for (let i = 0; i < 5; i++) keys.push((await store.createApiKey({ name: `storm-${i}`, type: 'prediction', rateLimitPerHour: 1_000_000 })).key);
    } finally {
      await store.close();
    }
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // 5m candles 1,200-fold faster: one every 0.25 s, so the replay outlasts the test.
    daemon = spawnDaemon(['--feed', `replay:${setup.feed}?speed=1200`], { SIGNALBASE_DATA_DIR: setup.data, PORT: String(port), LOG_LEVEL: 'warn' });
    const post = (key: string, candles: number[][]) =>
      fetch(`${base}/v1/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ symbol: 'LTC/BTC', candles }),
      });
    // Live and warm: ticks flowing, LTC/BTC's indicators served.
    await vi.waitFor(
      async () => {
        expect(await metricValue(port, 'ticks_total'), daemon?.stderr().slice(-2000)).toBeGreaterThan(60);
        const res = await fetch(`${base}/v1/indicators/LTC%2FBTC`, { headers: { authorization: `Bearer ${setup.key}` } });
        expect(res.status).toBe(200);
      },
      { timeout: 180_000, interval: 500 },
    );
    // The bound the daemon states (warm-up plus one model window): its 413 names it.
    const tooMany = await post(keys[0]!, rows.slice(0, 1_000));
    expect(tooMany.status).toBe(413);
    const max = Number(/at most (\d+)/.exec(((await tooMany.json()) as { error: { message: string } }).error.message)?.[1]);
    expect(max).toBeGreaterThan(50);
    const candles = rows.slice(0, max);

    const latencies: number[] = [];
    const healthStatuses: number[] = [];
    let storming = true;
    const poller = (async () => {
      while (storming) {
        const t0 = performance.now();
        const res = await fetch(`${base}/healthz`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        healthStatuses.push(res.status);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const ticksBefore = await metricValue(port, 'ticks_total');
    const statuses = new Map<string, number[]>(keys.map((k) => [k, []]));
    let rounds = 0;
    try {
      // Rounds of 100 at once (20 per key) until the live loop has visibly moved on during them.
      while (rounds < 3 || (await metricValue(port, 'ticks_total')) < ticksBefore + 3) {
        expect(rounds, 'the live replay made no progress during the storm').toBeLessThan(60);
        await Promise.all(
          Array.from({ length: 100 }, async (_, i) => {
            const key = keys[i % keys.length]!;
            const res = await post(key, candles);
            if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
            await res.arrayBuffer();
            statuses.get(key)!.push(res.status);
          }),
        );
        rounds += 1;
      }
    } finally {
      storming = false;
      await poller;
    }

    expect(await metricValue(port, 'ticks_total')).toBeGreaterThanOrEqual(ticksBefore + 3);
    expect(healthStatuses.length).toBeGreaterThanOrEqual(3);
    expect(healthStatuses.every((s) => s === 200)).toBe(true);
    // Wall-clock bounds kept generous: the machine running the tests may be loaded many times over
    // (2 shared cores at load average 33 when this was written: the polls' median was 0.1 s, their tail 1.5 s).
    const sorted = [...latencies].sort((a, b) => a - b);
    const shown = `healthz latencies (ms): ${latencies.map((l) => l.toFixed(0)).join(' ')}`;
    expect(sorted[Math.floor(sorted.length / 2)]!, shown).toBeLessThan(1_000);
    expect(sorted.at(-1)!, shown).toBeLessThan(5_000);
    for (const [key, ss] of statuses) {
      expect(ss.length).toBe(20 * rounds);
      expect(ss.filter((s) => s !== 200 && s !== 429), key).toEqual([]);
      expect(ss.filter((s) => s === 200).length, key).toBeGreaterThan(0);
    }
    expect(daemon.child.exitCode).toBeNull();
  }, 400_000);
});
