/**
 * End to end (issue 6 "Done when"): a model trained on the synthetic training regime serves in the
 * in-process Daemon on a real embedded store; the feed replays the same regime (another seed) and
 * then a shifted one (trend reversed: −0.5 sigma per candle from candle 650 of 900). DRIFT_CRON runs
 * every second on the leader. The daemon must write an ml_model_drift record with
 * drift_detected = true, file a retrain request with source 'drift', and a websocket subscriber
 * must receive the `drift` message. Small training (1 epoch, 4 units) keeps it short.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { SYNTHETIC_DEFAULTS, syntheticSeries } from '../../src/ingest/synthetic.ts';
import { createLogger } from '../../src/log.ts';
import { runTrainingJob } from '../../src/model/training-job.ts';
import { dataDirFrom, migratedTemplate, openStoreAt, removeDir } from '../daemon/helpers.ts';

const SYMBOLS = 4;
const TRAIN_CANDLES = 1500;
const log = createLogger({ level: 'silent', pretty: false });
const dirs: string[] = [];
let data: string;
let key: string;
let version: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  data = dataDirFrom(template);
  dirs.push(template, data);
  const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
  const store = await openStoreAt(data);
  try {
    const series = syntheticSeries({ ...SYNTHETIC_DEFAULTS, seed: 1, symbols: SYMBOLS, candles: TRAIN_CANDLES });
    for (const s of series) await store.upsertCandles(s);
    const r = await runTrainingJob(
      { store, config, log },
      { symbols: series.map((s) => s[0]!.symbol), timeframe: '5m', hyper: { maxEpochs: 1, units: 4 }, importanceSamples: 50, activate: true },
    );
    version = r.version;
    key = (await store.createApiKey({ name: 'drift-e2e', type: 'admin' })).key;
  } finally {
    await store.close();
  }
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

describe('the running daemon detects a regime shift', () => {
  it('writes a drift record, files a drift retrain request and pushes the drift message', async () => {
    const start = new Date(SYNTHETIC_DEFAULTS.start + TRAIN_CANDLES * 300_000).toISOString();
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm', DRIFT_CRON: '* * * * * *' });
    const daemon = new Daemon(config, log, {
      feed: `synthetic:seed=2,symbols=${SYMBOLS},candles=900,start=${start},shift_at=650,shift_drift=-0.5,speed=20000`,
      port: 0,
      host: '127.0.0.1',
      trainer: async () => ({ version: 'none', activated: false, reason: 'test: no training', durationMs: 0 }),
    });
    const drift: Array<Record<string, unknown>> = [];
    try {
      await daemon.start();
      const ws = new WebSocket(`ws://127.0.0.1:${daemon.port}/v1/stream?key=${encodeURIComponent(key)}`);
      ws.on('message', (raw) => {
        const msg = JSON.parse(String(raw)) as { type: string; data: Record<string, unknown> };
        if (msg.type === 'drift') drift.push(msg.data);
      });
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ type: 'subscribe', symbols: ['*'] }));
      await vi.waitFor(() => expect(drift.some((d) => d.drift_detected === true)).toBe(true), { timeout: 60_000, interval: 200 });
      ws.close();

      const store = daemon.store!;
      const records = await store.listDrift(100);
      const detected = records.filter((r) => r.driftDetected);
      expect(detected.length).toBeGreaterThan(0);
      expect(detected[0]).toMatchObject({ modelVersion: version, status: 'drift' });
      expect((detected[0]!.featureDriftDetails.drifted as string[]).length).toBeGreaterThan(0);
      const requests = (await store.listRetrains(50)).filter((r) => r.source === 'drift');
      expect(requests).toHaveLength(1); // the cooldown (24 h) held over the later checks
      expect(requests[0]!.reason).toMatch(/drift on v/);
      expect(records.filter((r) => r.retrainingTriggered)).toHaveLength(1);
      const first = drift.find((d) => d.drift_detected === true)!;
      expect(first).toMatchObject({ model_version: version, status: 'drift' });
      console.info(`drift e2e: ${records.length} checks, ${detected.length} with drift; first: ${String(first.summary)}`);
    } finally {
      await daemon.stop();
    }
  }, 120_000);
});
