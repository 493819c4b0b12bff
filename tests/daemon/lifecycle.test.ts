/**
 * The Daemon's lifecycle in-process on a real replay and a real embedded store: a bug inside a
 * tick stops the daemon and rejects `done` (the CLI then exits 1; STYLE.md "crash on bugs"), what
 * was computed before it is still flushed to the store, stop() is idempotent, and SHARD=i/n keeps
 * only the symbols whose FNV-1a hash mod n is i.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { hash32 } from '../../src/ingest/prng.ts';
import { createLogger } from '../../src/log.ts';
import { dataDirFrom, migratedTemplate, removeDir, replayDir, storedState } from './helpers.ts';

const dirs: string[] = [];
let template: string;
let feed: string;

beforeAll(async () => {
  template = await migratedTemplate();
  feed = replayDir(['LTC_BTC-5m.json'], 200);
  dirs.push(template, feed);
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const log = createLogger({ level: 'silent', pretty: false });

describe('Daemon lifecycle', () => {
  it('stops and rejects done when a tick hits a bug; earlier ticks are stored whole, the failed ones not at all', async () => {
    const data = dataDirFrom(template);
    dirs.push(data);
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
    const bug = new TypeError('a bug in the model adapter');
    const daemon = new Daemon(config, log, {
      // Paced (a tick every ~10 ms): one tick per engine call, so every tick before the failing one
      // is its own batch and must be stored whole (a fast replay may put them all in the failing batch).
      feed: `replay:${feed}?speed=30000`,
      once: true,
      port: 0,
      host: '127.0.0.1',
      // A model whose predictor throws an untyped error: the first tick with a full window fails.
      modelLoader: async () => ({
        version: 'v-bug',
        pipeline: new FeaturePipeline(Scaler.identity([...INDICATOR_COLUMNS]), uniformWeights()),
        predictor: {
          timesteps: 60,
          features: INDICATOR_COLUMNS.length,
          predict: () => Promise.reject(bug),
        },
        dispose: () => undefined,
      }),
    });
    await daemon.start();
    await expect(daemon.done).rejects.toBe(bug);
    expect(daemon.phase).toBe('failed');
    expect(daemon.stop()).toBe(daemon.stop()); // memoised
    await daemon.stop();

    const stored = await storedState(data);
    // The failing batch (the first tick whose window is full: candle 50 + 60 − 1 = 109, index 108)
    // stored nothing; every batch before it stored its candles AND their signals (candles are
    // enqueued after the signals), so a restart recomputes exactly what is missing.
    const firstModelCandle = IndicatorSet.WARMUP_CANDLES - 1 + 60 - 1;
    expect(stored.candles).toBe(firstModelCandle);
    expect(stored.predictions).toHaveLength(firstModelCandle - (IndicatorSet.WARMUP_CANDLES - 1));
    expect(stored.predictions.every((p) => p.modelVersion === 'rules')).toBe(true);
  }, 300_000);

  it('refuses a second start', async () => {
    const data = dataDirFrom(template);
    dirs.push(data);
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
    const daemon = new Daemon(config, log, { feed: `replay:${feed}`, once: true, port: 0, host: '127.0.0.1' });
    await daemon.start();
    await expect(daemon.start()).rejects.toMatchObject({ code: 'DAEMON_STATE' });
    await daemon.done;
    const stored = await storedState(data);
    expect(stored.predictions).toHaveLength(200 - (IndicatorSet.WARMUP_CANDLES - 1));
  }, 300_000);

  it('handles only the symbols of its shard', async () => {
    const data = dataDirFrom(template);
    const pair = replayDir(['LTC_BTC-5m.json', 'DASH_BTC-5m.json'], 120);
    dirs.push(data, pair);
    const mine = ['LTC/BTC', 'DASH/BTC'].filter((s) => hash32(s) % 2 === 1);
    // The two symbols fall in different shards (else this test would not show the filter).
    expect(mine).toHaveLength(1);
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm', SHARD: '1/2' });
    const daemon = new Daemon(config, log, { feed: `replay:${pair}`, once: true, port: 0, host: '127.0.0.1' });
    await daemon.start();
    await daemon.done;
    const stored = await storedState(data);
    expect(stored.series).toBe(1);
    expect(stored.candles).toBe(120);
    expect(new Set(stored.predictions.map((p) => p.symbol))).toEqual(new Set(mine));
  }, 300_000);
});
