/**
 * "A model swap takes effect at the next call to process: a tick never mixes models" (engine.ts),
 * tested where it can break: setModel() called WHILE a process() call is in flight, waiting on its
 * batched predict. Every signal of that call must carry the old model's version and the old
 * model's probabilities; the next call is entirely the new model. An engine that applied setModel at
 * once and read the model live when deciding (the mutation this test was checked against) labels
 * the in-flight tick's signals with the new version over the old probabilities and fails here.
 *
 * The predictors are plain functions with fixed outputs (no tfjs): the test is about when the
 * engine switches, not about what a network predicts.
 */
import { describe, expect, it, vi } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { mergeTicks } from '../../src/ingest/merge.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import type { WindowPredictor } from '../../src/model/batcher.ts';
import type { EngineModel } from '../../src/signals/decision.ts';
import { SignalEngine } from '../../src/signals/engine.ts';

const SAMPLE = new URL('../../data/sample/', import.meta.url).pathname;
const log = createLogger({ level: 'silent' });
const T = 12;
const FEATURES = [...INDICATOR_COLUMNS];

/** A predictor answering `probs` for every window; while held, predict() waits for release(). */
function fixedPredictor(probs: [number, number, number]) {
  let gate: Promise<void> = Promise.resolve();
  let open: () => void = () => undefined;
  const state = { calls: 0 };
  const predictor: WindowPredictor = {
    timesteps: T,
    features: FEATURES.length,
    async predict(_windows, n) {
      state.calls++;
      await gate;
      const out = new Float32Array(n * 3);
      for (let i = 0; i < n; i++) out.set(probs, i * 3);
      return out;
    },
  };
  return {
    predictor,
    state,
    hold() {
      gate = new Promise((r) => (open = r));
    },
    release: () => open(),
  };
}

const modelOf = (version: string, predictor: WindowPredictor): EngineModel => ({
  version,
  pipeline: new FeaturePipeline(Scaler.identity(FEATURES), uniformWeights()),
  predictor,
});

describe('SignalEngine model swap', () => {
  it('a setModel during an in-flight process() applies from the next call, never inside it', async () => {
    const series = await Promise.all(['LTC_BTC-5m.json', 'DASH_BTC-5m.json'].map((f) => readReplayFile(`${SAMPLE}${f}`, { log })));
    const ticks = [...mergeTicks(series.map((s) => s.slice(0, 120)))].map((t) => ({ closeTime: t.closeTime, candles: t.candles, backfill: false }));
    const a = fixedPredictor([0.7, 0.2, 0.1]);
    const b = fixedPredictor([0.1, 0.2, 0.7]);
    const e = new SignalEngine({ barrier: { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 }, weights: uniformWeights(), clock: { now: () => Date.UTC(2026, 0, 1) }, log, windowSize: T });
    e.setModel(modelOf('v-a', a.predictor));
    const warm = await e.process(ticks.slice(0, 100));
    expect(warm.at(-1)!.signals.map((s) => s.modelVersion)).toEqual(['v-a', 'v-a']);

    a.hold();
    const before = a.state.calls;
    const inflight = e.process(ticks.slice(100, 104));
    await vi.waitFor(() => expect(a.state.calls).toBe(before + 1)); // the in-flight call waits on A's predict
    e.setModel(modelOf('v-b', b.predictor));
    a.release();
    const during = (await inflight).flatMap((t) => t.signals);
    expect(during).toHaveLength(8);
    for (const s of during) {
      expect(s.modelVersion).toBe('v-a');
      expect(s.probabilities.BUY).toBeCloseTo(0.7, 6);
    }
    expect(b.state.calls).toBe(0);

    const next = (await e.process(ticks.slice(104, 106))).flatMap((t) => t.signals);
    expect(next).toHaveLength(4);
    for (const s of next) {
      expect(s.modelVersion).toBe('v-b');
      expect(s.probabilities.HOLD).toBeCloseTo(0.7, 6);
    }
    await e.stop();
  });
});
