/**
 * `npm start` + `signalbase watch` with nothing configured: a daemon (child process) on an embedded
 * store with no API key creates the local stream key (SIGNALBASE_DATA_DIR/stream-key, mode 0600),
 * and `signalbase watch` (child process, no --key, default URL from PORT) prints its signals, one
 * JSON object a line on stdout, only for --symbols; Ctrl-C (SIGINT) exits 0.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { dataDirFrom, freePort, migratedTemplate, openStoreAt, removeDir, replayDir, spawnDaemon, type DaemonChild } from '../daemon/helpers.ts';
import { runCli, spawnCli } from '../store/cli-run.ts';


const dirs: string[] = [];
let daemon: DaemonChild | undefined;
let data: string;
let feed: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  feed = replayDir(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'], 300);
  data = dataDirFrom(template);
  dirs.push(template, feed, data);
}, 240_000);

afterAll(() => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
});

interface Signal {
  id: string;
  symbol: string;
  candle_time: string;
  predicted_direction: string;
}

describe('signalbase watch', () => {
  it('with no key and no URL, prints the local daemon\'s signals as JSON lines and exits 0 on Ctrl-C', async () => {
    const port = await freePort();
    daemon = spawnDaemon(['--feed', `replay:${feed}?speed=3000`], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
    const keyFile = join(data, 'stream-key');
    await vi.waitFor(() => expect(statSync(keyFile).size).toBeGreaterThan(0), { timeout: 180_000, interval: 200 });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const watch = spawnCli(['watch', '--symbols', 'XLM/BTC'], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
    try {
      await vi.waitFor(() => expect(watch.out.split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(10), { timeout: 120_000, interval: 100 });
    } finally {
      watch.child.kill('SIGINT');
    }
    expect(await watch.exited, watch.err).toBe(0);

    const lines = watch.out.split('\n').filter(Boolean);
    const signals = lines.map((l) => JSON.parse(l) as Signal);
    expect(signals.every((s) => s.symbol === 'XLM/BTC')).toBe(true);
    expect(new Set(signals.map((s) => s.id)).size).toBe(signals.length);
    for (const s of signals) expect(['BUY', 'SELL', 'HOLD']).toContain(s.predicted_direction);
    // Live signals come in candle order.
    const times = signals.map((s) => Date.parse(s.candle_time));
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(watch.err).toContain('connected to');

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    // What watch printed is what the daemon published (and stored) under those ids.
    const store = await openStoreAt(data);
    try {
      const keys = await store.listApiKeys();
      expect(keys.map((k) => [k.name, k.type])).toEqual([['local-stream', 'stream']]);
      for (const s of signals.slice(0, 3)) expect((await store.getPrediction(s.id))?.symbol).toBe('XLM/BTC');
    } finally {
      await store.close();
    }
  }, 360_000);

  it('a remote URL without --key is bad usage (exit 2), naming what to do', async () => {
    const r = await runCli(['watch', '--url', 'ws://10.1.2.3:8787/v1/stream'], { SIGNALBASE_DATA_DIR: data });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('--key');
  }, 60_000);
});
