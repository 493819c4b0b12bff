/**
 * A daemon (child process) replaying real candles while a real websocket client is subscribed:
 *  - /healthz and /readyz answer while it runs;
 *  - SIGTERM mid-replay: the process exits 0, the client sees close code 1001;
 *  - the client received every signal exactly once and in stream order, and they are exactly the
 *    predictions in the store afterwards (nothing published was lost on the way to the store);
 *  - POST /v1/predict over given candles computes what the live pipeline computed for the same
 *    candles, and GET /v1/indicators answers from the live state.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import type { Signal } from '../../src/domain/signal.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import { predictionId } from '../../src/signals/prediction-id.ts';
import { freePort, keyedReplaySetup, openStoreAt, removeDir, spawnDaemon, storedState, type DaemonChild } from './helpers.ts';

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 300;

const dirs: string[] = [];
let daemon: DaemonChild | undefined;

afterAll(() => {
  if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
  for (const d of dirs) removeDir(d);
});

let data: string;
let feed: string;
let key: string;

beforeAll(async () => {
  const setup = await keyedReplaySetup(FILES, N, { name: 'daemon-test', type: 'admin' });
  ({ data, feed, key } = setup);
  dirs.push(...setup.dirs);
}, 240_000);

describe('the daemon with a websocket subscriber', () => {
  it('delivers every signal once and in order, stops on SIGTERM with 1001, and stored what it published', async () => {
    const port = await freePort();
    // 5 m candles 6,000x faster: a tick every 50 ms, ~15 s for the whole replay.
    daemon = spawnDaemon(['--feed', `replay:${feed}?speed=6000`], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    await vi.waitFor(
      async () => {
        const res = await fetch(`${base}/healthz`);
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ status: 'ok' });
      },
      { timeout: 180_000, interval: 200 },
    );
    const ready = await fetch(`${base}/readyz`);
    expect(await ready.json()).toEqual({ status: 'ready', reasons: [] });
    expect(ready.status).toBe(200);

    const received: Signal[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${port}/v1/stream?key=${encodeURIComponent(key)}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { type: string; data: Signal };
      if (msg.type === 'signal') received.push(msg.data);
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    // `since` before the data: stored signals first, then live, with no gap and no duplicate.
    ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'], since: '2000-01-01T00:00:00.000Z' }));
    await vi.waitFor(() => expect(received.length).toBeGreaterThanOrEqual(200), { timeout: 120_000, interval: 50 });

    // The API over the live pipeline, mid-replay.
    const auth = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const ltc = await readReplayFile(`${feed}/LTC_BTC-5m.json`, { log: createLogger({ level: 'silent', pretty: false }) });
    const rows = ltc.slice(0, 100).map((c) => [c.openTime, c.open, c.high, c.low, c.close, c.volume]);
    const predicted = await fetch(`${base}/v1/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'LTC/BTC', candles: rows }) });
    expect(predicted.status).toBe(200);
    const apiSignal = (await predicted.json()) as Signal;
    // Same candles as the live engine had when it signalled on candle 100: the same answer, but an
    // API row of its own (its own id), never the live signal's (tests/trust/signal-forgery.pg.test.ts).
    const live = received.find((s) => s.symbol === 'LTC/BTC' && Date.parse(s.candle_time) === ltc[99]!.openTime)!;
    expect(live.id).toBe(predictionId('LTC/BTC', '5m', ltc[99]!.openTime, 'rules'));
    expect(apiSignal.id).not.toBe(live.id);
    expect(apiSignal.predicted_direction).toBe(live.predicted_direction);
    expect(apiSignal.confidence_score).toBeCloseTo(live.confidence_score, 12);
    const tooFew = await fetch(`${base}/v1/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'LTC/BTC', candles: rows.slice(0, 10) }) });
    expect(tooFew.status).toBe(400);
    expect(((await tooFew.json()) as { error: { code: string } }).error.code).toBe('INVALID_CANDLES');
    const latest = await fetch(`${base}/v1/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'XLM/BTC' }) });
    expect(latest.status).toBe(200);
    expect(((await latest.json()) as Signal).symbol).toBe('XLM/BTC');
    const unknown = await fetch(`${base}/v1/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol: 'ETH/BTC' }) });
    expect(unknown.status).toBe(404);
    const ind = await fetch(`${base}/v1/indicators/LTC%2FBTC`, { headers: auth });
    expect(ind.status).toBe(200);
    const snap = (await ind.json()) as { symbol: string; indicators: Record<string, number | null>; model_version: string };
    expect(snap.symbol).toBe('LTC/BTC');
    expect(Object.keys(snap.indicators)).toHaveLength(17);
    expect(snap.model_version).toBe('rules');

    daemon.child.kill('SIGTERM');
    expect(await daemon.exited).toBe(0);
    expect(await closed).toBe(1001);

    const stored = await storedState(data);
    // Mid-replay: not all 2 × 251 signals (see replay.test.ts) were produced.
    expect(stored.predictions.length).toBeLessThan(2 * (N - 49));
    expect(received.map((s) => s.id)).toEqual(stored.predictions.map((p) => p.id));
    expect(new Set(received.map((s) => s.id)).size).toBe(received.length);
    expect(received.map((s) => s.predicted_direction)).toEqual(stored.predictions.map((p) => p.predictedDirection));
    // Each processed tick's candles were stored with its signals (candles are enqueued after them).
    const last = stored.predictions.at(-1)!.candleTime;
    const store = await openStoreAt(data);
    try {
      for (const symbol of ['LTC/BTC', 'XLM/BTC']) {
        const [newest] = await store.readCandles({ symbol, timeframe: '5m', latest: true, limit: 1 });
        expect(newest!.openTime).toBeGreaterThanOrEqual(last);
      }
    } finally {
      await store.close();
    }
  }, 300_000);
});
