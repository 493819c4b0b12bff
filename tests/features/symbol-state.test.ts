import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../../src/domain/indicators.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { buildFeatureMatrix } from '../../src/features/matrix.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { SymbolFeatureState } from '../../src/features/symbol-state.ts';
import { transformRaw } from '../../src/features/transforms.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { loadBars } from './candles.ts';

const bars = loadBars('LTC_BTC-5m.json').slice(0, 400);
const ALL = [...INDICATOR_COLUMNS];
const identity = new FeaturePipeline(Scaler.identity(ALL), uniformWeights());

/** The transformed rows of bars[0..n), computed independently of the ring. */
function transformedRows(n: number): Float32Array[] {
  const set = new IndicatorSet();
  return bars.slice(0, n).map((b) => {
    set.push(b);
    const row = new Float32Array(17);
    transformRaw(set.raw, b, row);
    return row;
  });
}

describe('SymbolFeatureState', () => {
  it('becomes ready once T rows exist after the indicators warm up', () => {
    const state = new SymbolFeatureState('LTC/BTC', { windowSize: 5 });
    bars.slice(0, IndicatorSet.WARMUP_CANDLES + 4).forEach((b, i) => {
      state.update(b);
      expect(state.length).toBe(Math.max(0, Math.min(5, i + 2 - IndicatorSet.WARMUP_CANDLES)));
      expect(state.isReady).toBe(i + 1 >= IndicatorSet.WARMUP_CANDLES + 4);
    });
    expect(() => new SymbolFeatureState('X/Y', { windowSize: 5 }).window(identity)).toThrow(RangeError);
  });

  it('returns the last T transformed rows, oldest first, also after the ring wraps', () => {
    const T = 7;
    const state = new SymbolFeatureState('LTC/BTC', { windowSize: T });
    for (const n of [IndicatorSet.WARMUP_CANDLES + T - 1, 123, 124, 400]) {
      while (state.indicators.count < n) state.update(bars[state.indicators.count]!);
      const rows = transformedRows(n).slice(n - T);
      const w = state.window(identity);
      expect(w).toHaveLength(T * 17);
      rows.forEach((row, r) => expect(Array.from(w.subarray(r * 17, r * 17 + 17))).toEqual(Array.from(row)));
      expect(Array.from(state.latestTransformed()!)).toEqual(Array.from(rows[T - 1]!));
    }
  });

  it('encodes a feature subset exactly as the training matrix does (live/training parity)', () => {
    const T = 60;
    const features: IndicatorColumn[] = ['rsi_value', 'macd_line', 'volume_ma', 'volatility'];
    const matrix = buildFeatureMatrix(bars);
    expect(matrix.firstReady).toBe(IndicatorSet.WARMUP_CANDLES - 1);
    const trainRows: number[][] = [];
    for (let i = matrix.firstReady; i < 300; i++) {
      trainRows.push(features.map((f) => matrix.transformed[i * 17 + INDICATOR_COLUMNS.indexOf(f)]!));
    }
    const pipeline = new FeaturePipeline(Scaler.fit(features, trainRows), { ...uniformWeights(), rsi_value: 1.7, volatility: 0.3 });

    const state = new SymbolFeatureState('LTC/BTC', { windowSize: T });
    for (const b of bars) state.update(b);
    // Batched layout: the window written at an offset into a larger tensor.
    const batch = new Float32Array(3 * T * pipeline.width);
    state.window(pipeline, batch, T * pipeline.width);
    const live = batch.subarray(T * pipeline.width, 2 * T * pipeline.width);
    const trained = pipeline.encodeRows(matrix.transformed, bars.length - T, T);
    expect(Array.from(live)).toEqual(Array.from(trained));
    expect(batch.subarray(0, T * pipeline.width).every((x) => x === 0)).toBe(true);
    // And the values are finite z-scores.
    expect(live.every((x) => Number.isFinite(x))).toBe(true);
  });

  it('windows asked at any cadence, by two pipelines in turn, equal a fresh encoding (each row is encoded once and kept)', () => {
    const T = 20;
    const matrix = buildFeatureMatrix(bars);
    const a = new FeaturePipeline(Scaler.identity(['rsi_value', 'macd_line', 'volatility']), { ...uniformWeights(), macd_line: 2 });
    const b = new FeaturePipeline(Scaler.identity(ALL), { ...uniformWeights(), rsi_value: 0.5 });
    const state = new SymbolFeatureState('LTC/BTC', { windowSize: T });
    // Gaps of 1..2T candles between windows (a window after a gap longer than T re-encodes the whole ring).
    let n = 0;
    let step = 0;
    let checks = 0;
    while (n < bars.length) {
      state.update(bars[n++]!);
      if (!state.isReady || n % (1 + (step % (2 * T))) !== 0) continue;
      step++;
      for (const p of step % 3 === 0 ? [b, a] : [a]) {
        expect(Array.from(state.window(p))).toEqual(Array.from(p.encodeRows(matrix.transformed, n - T, T)));
        checks++;
      }
    }
    expect(checks).toBeGreaterThan(50);
    state.reset();
    for (let i = 0; i < 150; i++) state.update(bars[i]!);
    expect(Array.from(state.window(a))).toEqual(Array.from(a.encodeRows(matrix.transformed, 150 - T, T)));
  });

  it('exposes the latest values, consensus and summary, and resets', () => {
    const state = new SymbolFeatureState('LTC/BTC', { windowSize: 10 });
    expect(state.values).toBeNull();
    expect(state.consensus(uniformWeights())).toBeNull();
    for (const b of bars) state.update(b);
    const reference = new IndicatorSet();
    for (const b of bars) reference.push(b);
    expect(state.values).toEqual(reference.snapshot());
    expect(state.lastCandle).toBe(bars[bars.length - 1]);
    const c = state.consensus(uniformWeights())!;
    expect(['BUY', 'SELL', 'HOLD']).toContain(c.direction);
    expect(state.summary()!.text.length).toBeGreaterThan(10);
    state.reset();
    expect(state.length).toBe(0);
    expect(state.values).toBeNull();
  });
});
