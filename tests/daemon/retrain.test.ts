/**
 * The Daemon class in-process with --once and --retrain-now on a real replay and a real embedded
 * store: the request is filed in the retrain queue (source 'flag'), the training runs in the worker
 * on the candles the replay just stored (the real training job, with small hyper-parameters so the
 * test stays short), and the request ends DONE with the new model's version before `done` resolves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { createLogger } from '../../src/log.ts';
import { runTrainingJob } from '../../src/model/training-job.ts';
import { dataDirFrom, migratedTemplate, openStoreAt, removeDir, replayDir } from './helpers.ts';

const dirs: string[] = [];
let data: string;
let feed: string;

beforeAll(async () => {
  const template = await migratedTemplate();
  feed = replayDir(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'], 700);
  data = dataDirFrom(template);
  dirs.push(template, feed, data);
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

describe('run --once --retrain-now', () => {
  it('trains on the replayed candles after the replay and finishes the flag request with the model version', async () => {
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
    const log = createLogger({ level: 'silent', pretty: false });
    const daemon: Daemon = new Daemon(config, log, {
      feed: `replay:${feed}`,
      once: true,
      retrainNow: true,
      port: 0,
      host: '127.0.0.1',
      trainer: async ({ signal }) => {
        const r = await runTrainingJob({ store: daemon.store!, config, log }, { signal, hyper: { maxEpochs: 1, units: 4 }, importanceSamples: 50 });
        return { version: r.version, activated: r.status === 'active', reason: r.statusReason, durationMs: r.durationsMs.total };
      },
    });
    await daemon.start();
    expect(daemon.port).toBeGreaterThan(0);
    await daemon.done;
    expect(daemon.phase).toBe('stopped');

    const store = await openStoreAt(data);
    try {
      const requests = await store.listRetrains(10);
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ source: 'flag', force: true, status: 'DONE' });
      const models = await store.listModels();
      expect(models).toHaveLength(1);
      expect(requests[0]!.modelVersion).toBe(models[0]!.version);
      expect(['trained', 'active']).toContain(models[0]!.status);
      // It trained on every replayed candle: 2 series × (700 − 49 − 59 + 1 windows) before the split.
      expect(models[0]!.trainingSamplesCount).toBeGreaterThan(300);
    } finally {
      await store.close();
    }
  }, 300_000);
});
