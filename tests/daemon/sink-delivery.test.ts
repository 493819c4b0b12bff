/**
 * `signalbase run` (child process, real embedded store, the first 300 candles of LTC/BTC and
 * XLM/BTC 5m) with a SINKS_FILE of webhooks to real HTTP receivers on loopback:
 *  - a bad file stops the daemon with exit 2 naming the sink and the field;
 *  - kill -9 mid-replay and a restart: the receiver got every BUY/SELL signal the store holds,
 *    each exactly once (answered 2xx once), every body validly signed. The kill lands while the
 *    receiver holds a request unanswered, so the test does not depend on where the kill falls;
 *  - the receiver down for 30 s of wall time (from the sink's first failed attempt), then back on
 *    its port: it gets every BUY/SELL of the replay once, signed, none dead-lettered;
 *  - one receiver that accepts the connection and never answers and one that always answers 500:
 *    every tick runs and a websocket subscriber has every signal, in order, while the hung receiver
 *    still holds the sink's first request open (one request, before its 60 s timeout: the tick loop
 *    never awaits a delivery); the hung sink holds every BUY/SELL queued, the failing one
 *    dead-lettered exactly that many (status line and sink_dead_letters_total); SIGTERM still
 *    exits 0 within the deadline.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Signal } from '../../src/domain/signal.ts';
import { Receiver, validSignature } from '../signals/sinks/fixtures.ts';
import { dataDirFrom, freePort, keyedReplaySetup, metricValue, migratedTemplate, removeDir, replayDir, spawnDaemon, storedState, tempDir } from './helpers.ts';

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 300;
const SECRET = 'daemon-test-webhook-secret';
const dirs: string[] = [];
const closers: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const c of closers.reverse()) await c();
  for (const d of dirs) removeDir(d);
});

function sinksFile(sinks: unknown[]): string {
  const dir = tempDir('sinks');
  dirs.push(dir);
  const path = join(dir, 'sinks.json');
  writeFileSync(path, JSON.stringify({ sinks }));
  return path;
}

/** A sink's counter on the daemon's /metrics (helpers' metricValue reads unlabelled series only). */
async function sinkMetric(port: number, name: string, sink: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(`sink="${sink}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

const hook = (name: string, url: string, extra: Record<string, unknown> = {}) => ({ name, kind: 'webhook', url, secret: SECRET, events: ['signal'], timeout_ms: 60_000, retry: { base_ms: 20, cap_ms: 200 }, ...extra });

describe('the daemon with SINKS_FILE', () => {
  let template: string;
  let feed: string;

  beforeAll(async () => {
    template = await migratedTemplate();
    feed = replayDir(FILES, N);
    dirs.push(template, feed);
  }, 240_000);

  it('stops with exit 2 naming the sink and the field when the file is bad', async () => {
    const data = dataDirFrom(template);
    dirs.push(data);
    const file = sinksFile([{ name: 'ops-hook', kind: 'webhook', url: 'not a url', secret: 'super-secret-value-123' }]);
    const run = spawnDaemon(['--once', '--feed', `replay:${feed}`], { SIGNALBASE_DATA_DIR: data, PORT: '0', SINKS_FILE: file });
    expect(await run.exited).toBe(2);
    expect(run.stderr()).toContain('SINKS_FILE sink "ops-hook" (sinks[0]) field url: must be an http(s) URL');
    expect(run.stderr()).not.toContain('super-secret-value-123');
  }, 60_000);

  it('delivers every BUY/SELL exactly once, signed, across a kill -9 and a restart', async () => {
    const setup = await keyedReplaySetup(FILES, N, { name: 'sinks-kill', type: 'admin' });
    dirs.push(...setup.dirs);
    const data = setup.data;
    const receiver = await new Receiver().start();
    closers.push(() => receiver.stop());
    const accepted: string[] = [];
    let badSignatures = 0;
    let held: ServerResponse | null = null;
    const HOLD_AFTER = 5;
    receiver.answer = (r, res) => {
      if (!validSignature(SECRET, r)) badSignatures++;
      if (accepted.length >= HOLD_AFTER && held === null) {
        held = res; // unanswered: the daemon is killed while this delivery is in flight
        return;
      }
      accepted.push((JSON.parse(r.body) as { id: string }).id);
      res.writeHead(200).end();
    };
    const file = sinksFile([hook('hook', receiver.url)]);
    const first = spawnDaemon(['--feed', `replay:${setup.feed}?speed=9000`], { SIGNALBASE_DATA_DIR: data, PORT: String(await freePort()), SINKS_FILE: file });
    closers.push(() => void (first.child.exitCode === null && first.child.kill('SIGKILL')));
    await vi.waitFor(() => expect(held).not.toBeNull(), { timeout: 180_000, interval: 50 });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    (held as ServerResponse | null)?.socket?.destroy();
    expect(readFileSync(join(data, 'sinks', 'hook', 'queue.ndjson'), 'utf8').length).toBeGreaterThan(0);

    receiver.answer = (r, res) => {
      if (!validSignature(SECRET, r)) badSignatures++;
      accepted.push((JSON.parse(r.body) as { id: string }).id);
      res.writeHead(200).end();
    };
    // The restart runs the replay to its end; the test waits, by state, for the queue to empty.
    const port = await freePort();
    const again = spawnDaemon(['--feed', `replay:${setup.feed}?speed=0`], { SIGNALBASE_DATA_DIR: data, PORT: String(port), SINKS_FILE: file });
    closers.push(() => void (again.child.exitCode === null && again.child.kill('SIGKILL')));
    const status = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`, { headers: { Authorization: `Bearer ${setup.key}` } });
      return (await res.json()) as { feed: { state: string }; sinks: { name: string; queue_depth: number }[] };
    };
    await vi.waitFor(
      async () => {
        const s = await status();
        expect(s.feed.state).toBe('ended');
        expect(s.sinks.find((x) => x.name === 'hook')?.queue_depth).toBe(0);
      },
      { timeout: 240_000, interval: 200 },
    );
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);

    const stored = await storedState(data);
    const trades = stored.predictions.filter((p) => p.predictedDirection !== 'HOLD').map((p) => p.id);
    expect(trades.length).toBeGreaterThan(HOLD_AFTER + 1);
    expect([...accepted].sort()).toEqual([...trades].sort()); // each once: no duplicate, none missing
    expect(badSignatures).toBe(0);
    expect(receiver.requests.length).toBe(trades.length + 1); // and the one the kill cut off, resent after the restart
  }, 400_000);

  it('loses nothing while the receiver is down for 30 s: every BUY/SELL arrives once, signed, when it is back', async () => {
    const setup = await keyedReplaySetup(FILES, N, { name: 'sinks-outage', type: 'admin' });
    dirs.push(...setup.dirs);
    const receiver = await new Receiver().start();
    closers.push(() => receiver.stop());
    const receiverPort = receiver.port;
    await receiver.stop(); // down from the start: every attempt meets a closed port
    const file = sinksFile([hook('hook', receiver.url, { retry: { base_ms: 200, cap_ms: 5_000 } })]);
    const port = await freePort();
    const daemon = spawnDaemon(['--feed', `replay:${setup.feed}?speed=0`], { SIGNALBASE_DATA_DIR: setup.data, PORT: String(port), SINKS_FILE: file });
    closers.push(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
    const status = async () => {
      const res = await fetch(`http://127.0.0.1:${port}/v1/status`, { headers: { Authorization: `Bearer ${setup.key}` } });
      return (await res.json()) as { feed: { state: string }; sinks: { name: string; queue_depth: number; delivered: number; failed: number; dead_letters: number; last_error: string | null }[] };
    };
    const row = async () => (await status()).sinks.find((x) => x.name === 'hook')!;
    await vi.waitFor(async () => expect((await row()).failed).toBeGreaterThan(0), { timeout: 180_000, interval: 200 });
    const downSince = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 30_000)); // the outage: 30 s of wall time from the first failed attempt
    const during = await row();
    expect(during).toMatchObject({ delivered: 0, dead_letters: 0 });
    expect(during.last_error).toMatch(/^network: /);
    expect(Date.now() - downSince).toBeGreaterThanOrEqual(30_000);

    const accepted: string[] = [];
    let badSignatures = 0;
    receiver.answer = (r, res) => {
      if (!validSignature(SECRET, r)) badSignatures++;
      accepted.push((JSON.parse(r.body) as { id: string }).id);
      res.writeHead(200).end();
    };
    await receiver.start(receiverPort);
    await vi.waitFor(
      async () => {
        const s = await status();
        expect(s.feed.state).toBe('ended');
        expect(s.sinks.find((x) => x.name === 'hook')).toMatchObject({ queue_depth: 0, dead_letters: 0 });
      },
      { timeout: 120_000, interval: 200 },
    );
    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    const trades = (await storedState(setup.data)).predictions.filter((p) => p.predictedDirection !== 'HOLD').map((p) => p.id);
    expect(trades.length).toBeGreaterThan(10);
    expect([...accepted].sort()).toEqual([...trades].sort()); // each once: none lost in the outage, none twice
    expect(badSignatures).toBe(0);
  }, 400_000);

  it('a hung and a failing receiver delay neither the ticks nor the websocket; the dead letters are counted', async () => {
    const setup = await keyedReplaySetup(FILES, N, { name: 'sinks-test', type: 'admin' });
    dirs.push(...setup.dirs);
    // Accepts the connection, reads the request, never answers (the sink's attempt timeout is 60 s).
    const hungRequests: number[] = [];
    let hungOpen = 0;
    const hung = createServer((req) => {
      hungRequests.push(Date.now());
      req.resume();
    });
    hung.on('connection', (socket) => {
      hungOpen++;
      socket.on('close', () => hungOpen--);
    });
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    closers.push(() => {
      hung.closeAllConnections();
      hung.close();
    });
    const failing = await new Receiver().start();
    closers.push(() => failing.stop());
    failing.answer = (_r, res) => res.writeHead(500).end('down');
    const file = sinksFile([
      hook('hung', `http://127.0.0.1:${(hung.address() as AddressInfo).port}/hook`),
      hook('failing', failing.url, { retry: { base_ms: 5, cap_ms: 20, max_attempts: 2 } }),
    ]);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const daemon = spawnDaemon(['--feed', `replay:${setup.feed}?speed=0`], { SIGNALBASE_DATA_DIR: setup.data, PORT: String(port), SINKS_FILE: file });
    closers.push(() => void (daemon.child.exitCode === null && daemon.child.kill('SIGKILL')));
    const auth = { Authorization: `Bearer ${setup.key}` };
    await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), { timeout: 180_000, interval: 100 });

    const received: Signal[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?key=${encodeURIComponent(setup.key)}`);
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; data: Signal };
      if (msg.type === 'signal') received.push(msg.data);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'], since: '2000-01-01T00:00:00.000Z' }));

    type Status = { feed: { state: string }; sinks: { name: string; queue_depth: number; delivered: number; failed: number; dead_letters: number }[] };
    const status = async () => (await (await fetch(`${base}/v1/status`, { headers: auth })).json()) as Status;
    await vi.waitFor(async () => expect((await status()).feed.state).toBe('ended'), { timeout: 180_000, interval: 200 });
    await vi.waitFor(() => expect(received).toHaveLength(2 * (N - 49)), { timeout: 30_000 });
    // Every tick ran and the subscriber has every signal while the hung receiver still holds the
    // first delivery open: one request, one connection, no timeout counted, so no retry yet. Had
    // the tick loop awaited that delivery, not one tick could have completed before it timed out.
    const ticks = await metricValue(port, 'ticks_total');
    expect(ticks).toBe(await metricValue(port, 'tick_latency_seconds_count'));
    expect(ticks).toBeGreaterThanOrEqual(N - 49);
    expect(await metricValue(port, 'tick_errors_total')).toBe(0); // unlabelled total absent: no tick failed
    expect(hungRequests).toHaveLength(1);
    expect(hungOpen).toBe(1);
    expect((await status()).sinks.find((x) => x.name === 'hung')).toMatchObject({ delivered: 0, failed: 0 });
    // In order: per symbol, each signal's candle is later than the one before.
    for (const symbol of ['LTC/BTC', 'XLM/BTC']) {
      const times = received.filter((x) => x.symbol === symbol).map((x) => Date.parse(x.candle_time));
      expect(times).toHaveLength(N - 49);
      expect(times.every((t, i) => i === 0 || t > times[i - 1]!)).toBe(true);
    }
    const trades = received.filter((x) => x.predicted_direction !== 'HOLD').length;
    await vi.waitFor(async () => expect((await status()).sinks.find((x) => x.name === 'failing')).toMatchObject({ queue_depth: 0, dead_letters: trades, delivered: 0 }), { timeout: 60_000, interval: 200 });
    expect(await sinkMetric(port, 'sink_dead_letters_total', 'failing')).toBe(trades);
    const s = await status();
    // The hung sink: its first delivery still in flight, every other BUY/SELL waiting behind it.
    expect(s.sinks.find((x) => x.name === 'hung')).toMatchObject({ queue_depth: trades, delivered: 0, dead_letters: 0 });
    expect(failing.requests).toHaveLength(2 * trades); // max_attempts 2 each

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    ws.close();
    // What the subscriber got is what the store holds.
    expect(new Set(received.map((x) => x.id))).toEqual(new Set((await storedState(setup.data)).predictions.map((p) => p.id)));
  }, 300_000);
});
