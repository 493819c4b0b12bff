/**
 * The backtest runs the live engine over real candles and scores each signal against the triple-
 * barrier label of its candle. Checked here: the figures are internally consistent (trades equal the
 * scored BUY/SELL signals, always-HOLD never trades), the rules column equals the model column when
 * the rules are what is under test, and a model backtest is deterministic.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import { initBackend } from '../../src/model/backend.ts';
import { layersPredictor } from '../../src/model/batcher.ts';
import { buildLstm } from '../../src/model/lstm.ts';
import { runBacktest } from '../../src/signals/backtest.ts';

const SAMPLE = new URL('../../data/sample/', import.meta.url).pathname;
const log = createLogger({ level: 'silent' });
const barrier = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const clock = { now: () => Date.UTC(2026, 0, 1) };
let series: Candle[][];
let net: tf.LayersModel;

beforeAll(async () => {
  await initBackend('wasm', log);
  series = (await Promise.all(['LTC_BTC-5m.json', 'ZEC_BTC-5m.json'].map((f) => readReplayFile(`${SAMPLE}${f}`, { log })))).map((s) => s.slice(0, 700));
  net = buildLstm({ timesteps: 20, features: INDICATOR_COLUMNS.length, units: 8 }, 3);
});
afterAll(() => net?.dispose());

describe('runBacktest', () => {
  it('scores the rule signals against the labels, consistently', async () => {
    const r = await runBacktest({ series, model: null, barrier, weights: uniformWeights(), log, clock });
    expect(r.modelVersion).toBe('rules');
    // Every warm candle but the last `horizon` of each series is scored.
    expect(r.signals.total).toBe(2 * (700 - 49));
    expect(r.signals.scored).toBe(2 * (700 - 49 - barrier.horizon));
    const m = r.evaluations.model!.metrics;
    const directional = r.evaluations.model!.confusion.reduce((n, row) => n + row[0]! + row[1]!, 0);
    expect(m.trades).toBe(directional);
    expect(r.evaluations.rules!.metrics).toEqual(m);
    expect(r.evaluations.alwaysHold!.metrics.trades).toBe(0);
    expect(r.evaluations.alwaysHold!.metrics.accuracy).toBeCloseTo(r.evaluations.model!.perClass.HOLD.support / r.signals.scored, 12);
    expect(Object.values(r.outcomes).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(r.period!.from).toBe(new Date(series[0]![0]!.openTime).toISOString());
  });

  it('scores a model on its own signals and gives the same figures twice', async () => {
    const model = { version: 'v-bt', pipeline: new FeaturePipeline(Scaler.identity([...INDICATOR_COLUMNS]), uniformWeights()), predictor: layersPredictor(net) };
    const run = () => runBacktest({ series, model, barrier, weights: uniformWeights(), log, clock, windowSize: 20, ticksPerBatch: 50 });
    const a = await run();
    const b = await run();
    expect(a.modelVersion).toBe('v-bt');
    // The model scores from the 20th ready row on; the rules filled in before.
    expect(a.signals.scored).toBe(2 * (700 - 49 - 19 - barrier.horizon));
    expect(a.evaluations.model!.metrics).toEqual(b.evaluations.model!.metrics);
    expect(a.evaluations.model!.confusion).toEqual(b.evaluations.model!.confusion);
  });
});
