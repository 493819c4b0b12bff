/**
 * Calibration and selective signals with known answers: Brier and ECE computed by hand, a model made
 * over-confident on purpose (its logits doubled) whose fitted temperature comes back near 2, and the
 * selective rule as the live policy applies it.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uniformWeights } from '../../src/features/weights.ts';
import { SymbolFeatureState } from '../../src/features/symbol-state.ts';
import { applyTemperature, calibrationReport, fitTemperature } from '../../src/model/calibration.ts';
import { fitSelection, selectionFromMetadata, selectivePredictions } from '../../src/model/selective.ts';
import { mulberry32 } from '../../src/model/seed.ts';
import { decideSignal, type PolicyInput } from '../../src/signals/policy.ts';

/** n samples with random logits z; labels drawn from softmax(z); the model reports softmax(scale · z). */
function scaledModel(n: number, scale: number, seed: number) {
  const rand = mulberry32(seed);
  const probs = new Float32Array(n * 3);
  const labels = new Uint8Array(n);
  for (let k = 0; k < n; k++) {
    const z = [rand() * 4 - 2, rand() * 4 - 2, rand() * 4 - 2];
    const e = z.map((v) => Math.exp(v));
    const s = e[0]! + e[1]! + e[2]!;
    const u = rand() * s;
    labels[k] = u < e[0]! ? 0 : u < e[0]! + e[1]! ? 1 : 2;
    const q = z.map((v) => Math.exp(scale * v));
    const qs = q[0]! + q[1]! + q[2]!;
    for (let c = 0; c < 3; c++) probs[k * 3 + c] = q[c]! / qs;
  }
  return { probs, labels };
}

describe('calibration figures', () => {
  it('Brier and ECE as computed by hand', () => {
    const probs = Float32Array.from([0.95, 0.03, 0.02, 0.95, 0.03, 0.02, 0.6, 0.3, 0.1, 0.2, 0.2, 0.6]);
    const labels = Uint8Array.from([0, 1, 0, 2]);
    const r = calibrationReport(probs, labels);
    // Brier rows: 0.05²+0.03²+0.02² = 0.0038; 0.95²+0.97²+0.02² = 1.8438; 0.4²+0.3²+0.1² = 0.26; 0.2²+0.2²+0.4² = 0.24.
    expect(r.brier).toBeCloseTo((0.0038 + 1.8438 + 0.26 + 0.24) / 4, 6);
    // Bin [0.9, 1): confidence 0.95, accuracy 1/2; bin [0.6, 0.7): confidence 0.6, accuracy 2/2. ECE = ½·0.45 + ½·0.4.
    expect(r.ece).toBeCloseTo(0.425, 6);
    expect(r.bins[9]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(r.bins[9]!.confidence).toBeCloseTo(0.95, 6);
    expect(r.bins[6]).toMatchObject({ count: 2, accuracy: 1 });
    expect(r.bins.reduce((a, b) => a + b.count, 0)).toBe(4);
  });

  it('a calibrated model has ECE near 0 and a fitted temperature near 1', () => {
    const { probs, labels } = scaledModel(20_000, 1, 11);
    expect(calibrationReport(probs, labels).ece).toBeLessThan(0.02);
    expect(fitTemperature(probs, labels)).toBeCloseTo(1, 1);
  });

  it('an over-confident model (logits doubled) gets T ≈ 2 on validation, which fixes its test ECE', () => {
    const val = scaledModel(20_000, 2, 12);
    const test = scaledModel(20_000, 2, 13);
    const T = fitTemperature(val.probs, val.labels);
    expect(Math.abs(T - 2)).toBeLessThan(0.1);
    const before = calibrationReport(test.probs, test.labels);
    const after = calibrationReport(applyTemperature(test.probs, T), test.labels);
    expect(before.ece).toBeGreaterThan(0.08);
    expect(after.ece).toBeLessThan(0.02);
    expect(after.brier).toBeLessThan(before.brier);
    // An under-confident one (logits halved) gets T ≈ 0.5.
    const soft = scaledModel(20_000, 0.5, 14);
    expect(Math.abs(fitTemperature(soft.probs, soft.labels) - 0.5)).toBeLessThan(0.05);
  });
});

describe('selective signals', () => {
  it('the threshold is the validation grid value with the best net expectancy and enough trades', () => {
    // 200 BUY-leaning samples: confidence 0.40..0.80; a BUY wins +1% above 0.6, loses −1% below.
    const n = 200;
    const probabilities = new Float32Array(n * 3);
    const buy = new Float64Array(n);
    const sell = new Float64Array(n).fill(-1);
    for (let k = 0; k < n; k++) {
      const p = 0.4 + (0.4 * k) / n;
      probabilities.set([p, (1 - p) / 4, (3 * (1 - p)) / 4], k * 3);
      buy[k] = p >= 0.6 ? 1 : -1;
    }
    const s = fitSelection({ probabilities, labels: new Uint8Array(n), buyPnlPct: buy, sellPnlPct: sell }, { temperature: false });
    expect(s.temperature).toBe(1);
    expect(s.threshold).toBe(0.6);
    expect(s.validation.grid.find((r) => r.threshold === 0.6)).toMatchObject({ trades: 100, expectancy: 1 });
    expect(selectivePredictions(probabilities, 0.6).filter((d) => d === 'BUY')).toHaveLength(100);
    // Raising the minimum number of trades above what 0.6 leaves picks a lower threshold.
    expect(fitSelection({ probabilities, labels: new Uint8Array(n), buyPnlPct: buy, sellPnlPct: sell }, { temperature: false, minTrades: 150 }).threshold).toBeLessThan(0.6);
    expect(selectionFromMetadata({ selection: { temperature: 1.3, threshold: 0.6, fittedOn: 'validation' } })).toEqual({ temperature: 1.3, threshold: 0.6 });
    expect(selectionFromMetadata({})).toBeNull();
  });

  it('the live policy applies the temperature and the threshold; models without one behave as before', () => {
    const state = new SymbolFeatureState('LTC/BTC');
    // The bundled sample (data/sample), real LTC/BTC 5m candles, through the real indicators.
    const rows = JSON.parse(readFileSync(new URL('../../data/sample/LTC_BTC-5m.json', import.meta.url), 'utf8')) as number[][];
    const bars = rows.slice(0, 300).map(([openTime, open, high, low, close, volume]) => ({ openTime: openTime!, open: open!, high: high!, low: low!, close: close!, volume: volume! }));
    let values = state.update(bars[0]!);
    for (const b of bars.slice(1)) values = state.update(b);
    const input: PolicyInput = {
      candle: { symbol: 'LTC/BTC', timeframe: '5m', ...bars.at(-1)! },
      indicators: values,
      probabilities: { BUY: 0.55, SELL: 0.1, HOLD: 0.35 },
      modelVersion: 'v20261121030000-3fa9c1',
      weights: uniformWeights(),
      barrier: { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 },
      clock: { now: () => 0 },
      processingTimeMs: 1,
    };
    // Old model: MODEL_THRESHOLDS (0.45 and a 0.10 margin) → BUY.
    expect(decideSignal(input).predictedDirection).toBe('BUY');
    // Threshold 0.6: HOLD, the probabilities still shown.
    const held = decideSignal({ ...input, selection: { temperature: 1, threshold: 0.6 } });
    expect(held.predictedDirection).toBe('HOLD');
    expect(held.probabilities.BUY).toBeCloseTo(0.55, 12);
    expect(held.riskAssessment).toMatchObject({ demoted: 'low_confidence', selection: { threshold: 0.6 } });
    // Temperature 0.5 sharpens 0.55 to 0.55²/(0.55²+0.1²+0.35²) ≈ 0.6954, which clears 0.6.
    const sharp = decideSignal({ ...input, selection: { temperature: 0.5, threshold: 0.6 } });
    expect(sharp.predictedDirection).toBe('BUY');
    expect(sharp.probabilities.BUY).toBeCloseTo(0.3025 / (0.3025 + 0.01 + 0.1225), 9);
    expect(sharp.confidenceScore).toBeCloseTo(0.3025 / 0.435, 9);
    // The rules never take a selection.
    expect(decideSignal({ ...input, modelVersion: 'rules', selection: { temperature: 1, threshold: 0.99 } }).predictedDirection).not.toBe('HOLD');
  });
});
