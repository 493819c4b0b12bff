/**
 * The signal engine on real candles: rule signals before a model, a model's signals after the swap,
 * and the same output whether ticks are processed one at a time (live) or many at once (replay,
 * backtest), which is what lets the backtest claim to run the daemon's code.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { mergeTicks } from '../../src/ingest/merge.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { createLogger } from '../../src/log.ts';
import { initBackend } from '../../src/model/backend.ts';
import { layersPredictor } from '../../src/model/batcher.ts';
import { buildLstm } from '../../src/model/lstm.ts';
import { SignalEngine, type TickOutput } from '../../src/signals/engine.ts';
import { type EngineModel } from '../../src/signals/decision.ts';
import type * as tf from '@tensorflow/tfjs';

const SAMPLE = new URL('../../data/sample/', import.meta.url).pathname;
const log = createLogger({ level: 'silent' });
const barrier = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const clock = { now: () => Date.UTC(2026, 0, 1) };
const T = 12;

let ticks: CandleBatch[] = [];
let net: tf.LayersModel;
let model: EngineModel;

beforeAll(async () => {
  await initBackend('wasm', log);
  const series = await Promise.all(['LTC_BTC-5m.json', 'DASH_BTC-5m.json'].map((f) => readReplayFile(`${SAMPLE}${f}`, { log })));
  ticks = [...mergeTicks(series.map((s) => s.slice(0, 400)))].map((t) => ({ closeTime: t.closeTime, candles: t.candles, backfill: false }));
  const features = [...INDICATOR_COLUMNS];
  net = buildLstm({ timesteps: T, features: features.length, units: 8 }, 7);
  model = { version: 'v-test', pipeline: new FeaturePipeline(Scaler.identity(features), uniformWeights()), predictor: layersPredictor(net) };
});

afterAll(() => net?.dispose());

function engine(): SignalEngine {
  return new SignalEngine({ barrier, weights: uniformWeights(), clock, log, windowSize: T });
}

const comparable = (out: TickOutput[]) =>
  out.map((t) => ({
    closeTime: t.closeTime,
    signals: t.signals.map(({ processingTimeMs: _ms, ...s }) => s),
    resolved: t.resolved.map((r) => r.outcome),
  }));

describe('SignalEngine', () => {
  it('emits rule signals once indicators are warm, one per series per tick, in stream order', async () => {
    const e = engine();
    const out = await e.process(ticks);
    const signals = out.flatMap((t) => t.signals);
    expect(signals.length).toBeGreaterThan(2 * (400 - 60));
    expect(new Set(signals.map((s) => s.modelVersion))).toEqual(new Set(['rules']));
    expect(out.slice(0, 49).every((t) => t.signals.length === 0)).toBe(true); // EMA(50) warming up
    for (const t of out) {
      const keys = t.signals.map((s) => `${s.symbol}`);
      expect([...keys].sort()).toEqual(keys);
      expect(new Set(keys).size).toBe(keys.length);
    }
    const resolved = out.flatMap((t) => t.resolved);
    expect(resolved.length).toBeGreaterThan(0);
    // A signal is never resolved by its own candle.
    const byId = new Map(signals.map((s) => [s.id, s]));
    for (const r of resolved) expect(r.outcome.outcomeTime).toBeGreaterThan(byId.get(r.outcome.predictionId)!.candleTime);
    await e.stop();
  });

  it('gives identical signals and outcomes tick by tick and batched across time, with a model', async () => {
    const live = engine();
    live.setModel(model);
    const one: TickOutput[] = [];
    for (const t of ticks) one.push(...(await live.process([t])));
    const batched = engine();
    batched.setModel(model);
    const many: TickOutput[] = [];
    for (let i = 0; i < ticks.length; i += 37) many.push(...(await batched.process(ticks.slice(i, i + 37))));
    expect(comparable(many)).toEqual(comparable(one));
    // Rules until a series' window holds T rows (ticks 49 .. 49+T-2), the model from then on.
    const versions = (from: number, to: number) => new Set(one.slice(from, to).flatMap((t) => t.signals.map((s) => s.modelVersion)));
    expect(versions(49, 49 + T - 1)).toEqual(new Set(['rules']));
    expect(versions(49 + T - 1, one.length)).toEqual(new Set(['v-test']));
    await Promise.all([live.stop(), batched.stop()]);
  });

  it('swaps a model in at a tick boundary, never mid-tick', async () => {
    const e = engine();
    const before = await e.process(ticks.slice(0, 100));
    e.setModel(model);
    const after = await e.process(ticks.slice(100, 102));
    expect(before.at(-1)!.signals.every((s) => s.modelVersion === 'rules')).toBe(true);
    for (const t of after) expect(t.signals.every((s) => s.modelVersion === 'v-test')).toBe(true);
    e.setModel(null);
    const back = await e.process(ticks.slice(102, 103));
    expect(back[0]!.signals.every((s) => s.modelVersion === 'rules')).toBe(true);
    await e.stop();
  });

  it('ignores candles it has already seen (a replay restarted over stored history)', async () => {
    const e = engine();
    const first = await e.process(ticks.slice(0, 200));
    const again = await e.process(ticks.slice(150, 200));
    expect(again.flatMap((t) => t.signals)).toHaveLength(0);
    expect(first.flatMap((t) => t.signals).length).toBeGreaterThan(0);
    await e.stop();
  });

  it('refuses a model whose window or width does not fit', () => {
    const e = engine();
    const narrow = new FeaturePipeline(Scaler.identity(['rsi_value']), uniformWeights());
    expect(() => e.setModel({ ...model, pipeline: narrow })).toThrow(/features/);
  });
});
