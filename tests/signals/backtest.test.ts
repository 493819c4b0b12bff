/**
 * The backtest runs the live engine over real candles and scores each signal against the triple-
 * barrier label of its candle. Checked here: the figures are internally consistent (trades equal the
 * scored BUY/SELL signals, always-HOLD never trades), the rules column's figures equal an
 * independent oracle's (the test's own triple-barrier walk and scoring, written from DESIGN.md
 * "Barriers" without src/domain/barrier.ts or src/model/evaluate.ts, over the signals the run
 * emitted), and a model backtest is deterministic.
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
import type { Direction, PredictionRecord } from '../../src/domain/prediction.ts';
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

/** One side's barrier walk from the candle at `i` (entry its close): stop first on a shared candle. */
function walk(side: 1 | -1, c: readonly Candle[], i: number, atr: number): { tp: boolean; bars: number; pnl: number } {
  const entry = c[i]!.close;
  const tp = entry + side * barrier.tpAtrMult * atr;
  const sl = entry - side * barrier.slAtrMult * atr;
  const pnl = (exit: number) => 100 * side * (exit / entry - 1) - 2 * barrier.feePct;
  for (let k = 1; k <= barrier.horizon; k++) {
    const { high, low, close } = c[i + k]!;
    if (side === 1 ? low <= sl : high >= sl) return { tp: false, bars: k, pnl: pnl(sl) };
    if (side === 1 ? high >= tp : low <= tp) return { tp: true, bars: k, pnl: pnl(tp) };
    if (k === barrier.horizon) return { tp: false, bars: k, pnl: pnl(close) };
  }
  throw new Error('unreachable');
}

/** The oracle: label, trades and their P/L of every signal with `horizon` candles after it. */
function oracle(emitted: readonly PredictionRecord[], predictedOf: (s: PredictionRecord) => Direction) {
  const bySymbol = new Map(series.map((c) => [c[0]!.symbol, c]));
  const order: Direction[] = ['BUY', 'SELL', 'HOLD'];
  const confusion = order.map(() => [0, 0, 0]);
  const returns: number[] = [];
  let n = 0;
  for (const s of emitted) {
    const c = bySymbol.get(s.symbol)!;
    const i = c.findIndex((x) => x.openTime === s.candleTime);
    const atr = s.technicalIndicators.atr_value;
    if (i < 0 || atr === null || !(atr > 0) || i + barrier.horizon > c.length - 1) continue;
    const long = walk(1, c, i, atr);
    const short = walk(-1, c, i, atr);
    const label: Direction = long.tp && (!short.tp || long.bars < short.bars) ? 'BUY' : short.tp && (!long.tp || short.bars < long.bars) ? 'SELL' : 'HOLD';
    const predicted = predictedOf(s);
    confusion[order.indexOf(label)]![order.indexOf(predicted)]!++;
    if (predicted === 'BUY') returns.push(long.pnl);
    if (predicted === 'SELL') returns.push(short.pnl);
    n++;
  }
  const correct = confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!;
  const wins = returns.filter((r) => r > 0).length;
  return { n, confusion, accuracy: correct / n, trades: returns.length, winRate: wins / returns.length, avg: returns.reduce((a, b) => a + b, 0) / returns.length };
}

describe('runBacktest', () => {
  it("the rules column's figures equal an independent oracle's over the signals it emitted", async () => {
    const emitted: PredictionRecord[] = [];
    const r = await runBacktest({ series, model: null, barrier, weights: uniformWeights(), log, clock, onTick: (t) => emitted.push(...t.signals) });
    expect(emitted).toHaveLength(r.signals.total);
    const want = oracle(emitted, (s) => (s.marketConditions?.consensus_direction as Direction | undefined) ?? 'HOLD');
    const rules = r.evaluations.rules!;
    expect(rules.samples).toBe(want.n);
    expect(rules.confusion).toEqual(want.confusion);
    expect(want.trades).toBeGreaterThan(20); // the oracle has something to compare
    expect(rules.metrics.trades).toBe(want.trades);
    expect(rules.metrics.accuracy).toBeCloseTo(want.accuracy, 12);
    expect(rules.metrics.winRate).toBeCloseTo(want.winRate, 12);
    expect(rules.metrics.avgProfitPerTrade).toBeCloseTo(want.avg, 9);
    // With no model the signals ARE the rules: the model column scores the same directions.
    expect(oracle(emitted, (s) => s.predictedDirection).confusion).toEqual(r.evaluations.model!.confusion);
  });

  it('scores the rule signals against the labels, consistently', async () => {
    const r = await runBacktest({ series, model: null, barrier, weights: uniformWeights(), log, clock });
    expect(r.modelVersion).toBe('rules');
    // Every warm candle but the last `horizon` of each series is scored.
    expect(r.signals.total).toBe(2 * (700 - 49));
    expect(r.signals.scored).toBe(2 * (700 - 49 - barrier.horizon));
    const m = r.evaluations.model!.metrics;
    const directional = r.evaluations.model!.confusion.reduce((n, row) => n + row[0]! + row[1]!, 0);
    expect(m.trades).toBe(directional);
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
