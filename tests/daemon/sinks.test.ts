/**
 * The daemon publishes through its sink fan-out (src/signals/sinks/fanout.ts), the websocket hub
 * first: an extra sink given to the Daemon sees the model the daemon loads at start announce
 * itself (before the HTTP server exists, where the hub closure used to drop it), then every
 * signal under its stored id and every outcome as `outcome:<prediction id>`, and is stopped at
 * stop().
 */
import { expect, it, onTestFinished } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { Daemon } from '../../src/daemon.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { createLogger } from '../../src/log.ts';
import type { SignalSink, SinkEvent, SinkStatus } from '../../src/signals/sinks/sink.ts';
import { removeDir, replaySetup, storedState } from './helpers.ts';

class Recorder implements SignalSink {
  readonly name = 'recorder';
  readonly kind = 'test';
  readonly events: SinkEvent[] = [];
  started = 0;
  stopped = 0;
  publish(events: readonly SinkEvent[]): void {
    this.events.push(...events);
  }
  async start(): Promise<void> {
    this.started++;
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
  status(): SinkStatus {
    return { name: this.name, kind: this.kind, state: 'ok', queueDepth: 0, delivered: this.events.length, failed: 0, deadLetters: 0, dropped: 0 };
  }
}

it('publishes the start-up model event, every signal and outcome to the sinks, with stable ids', async () => {
  const { data, feed, dirs } = await replaySetup(['LTC_BTC-5m.json'], 200);
  onTestFinished(() => {
    for (const d of dirs) removeDir(d);
  });
  const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent', TFJS_BACKEND: 'wasm' });
  const recorder = new Recorder();
  const daemon = new Daemon(config, createLogger({ level: 'silent', pretty: false }), {
    feed: `replay:${feed}`,
    once: true,
    port: 0,
    host: '127.0.0.1',
    sinks: [recorder],
    // A model that always says HOLD-ish thirds: enough to be "loaded at start".
    modelLoader: async () => ({
      version: 'v-sink',
      pipeline: new FeaturePipeline(Scaler.identity([...INDICATOR_COLUMNS]), uniformWeights()),
      predictor: { timesteps: 60, features: INDICATOR_COLUMNS.length, predict: async (_w, n) => new Float32Array(n * 3).fill(1 / 3) },
      dispose: () => undefined,
    }),
  });
  await daemon.start();
  await daemon.done;
  expect([recorder.started, recorder.stopped]).toEqual([1, 1]);

  expect(recorder.events[0]).toMatchObject({ type: 'model', id: 'model:v-sink:activated', data: { event: 'activated', version: 'v-sink' } });
  const stored = await storedState(data);
  const signalIds = recorder.events.filter((e) => e.type === 'signal').map((e) => e.id);
  expect(signalIds.length).toBeGreaterThan(0);
  expect(new Set(signalIds)).toEqual(new Set(stored.predictions.map((p) => p.id)));
  const outcomes = recorder.events.filter((e) => e.type === 'outcome');
  expect(outcomes.length).toBeGreaterThan(0);
  const resolved = new Map(stored.predictions.filter((p) => p.actualOutcome).map((p) => [p.id, p.actualOutcome]));
  for (const o of outcomes) {
    const id = (o.data as { prediction_id: string }).prediction_id;
    expect(o.id).toBe(`outcome:${id}`);
    expect(resolved.get(id)).toBe((o.data as { outcome: string }).outcome);
  }
}, 540_000); // the migration (once in a beforeAll of 240 s) and the daemon run (300 s)
