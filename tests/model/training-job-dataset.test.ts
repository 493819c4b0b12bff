/**
 * The training set built by src/model/training-set.ts on real Binance candles (DASH/BTC has two
 * missing steps, LTC/BTC none: data/sample/README.md): no label leaks across the
 * time split, the scaler sees training rows only, windows stay inside one series and inside ready
 * rows, and labels are the barrier function's.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tripleBarrierAt } from '../../src/domain/barrier.ts';
import type { Candle } from '../../src/domain/candle.ts';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { buildFeatureMatrix } from '../../src/features/matrix.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { classOf } from '../../src/model/classes.ts';
import { DatasetError } from '../../src/model/errors.ts';
import { buildTrainingSet, trainingRows, windowFits, type SeriesCandles } from '../../src/model/training-set.ts';
import { candlePath } from '../features/candles.ts';

const BARRIER = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const FIVE_MIN = 300_000;

function load(file: string, symbol: string, limit?: number): SeriesCandles {
  const rows = JSON.parse(readFileSync(candlePath(file), 'utf8')) as number[][];
  const candles: Candle[] = rows.slice(0, limit).map(([t, o, h, l, c, v]) => ({
    symbol,
    timeframe: '5m',
    openTime: t!,
    open: o!,
    high: h!,
    low: l!,
    close: c!,
    volume: v!,
  }));
  return { symbol, timeframe: '5m', candles };
}

const series = [load('DASH_BTC-5m.json', 'DASH/BTC'), load('LTC_BTC-5m.json', 'LTC/BTC')];
const T = 60;
const set = buildTrainingSet(series, { features: [...INDICATOR_COLUMNS], barrier: BARRIER, weights: uniformWeights(), timesteps: T });
const { dataset: ds, split } = set;

describe('training set on real candles', () => {
  it('leaks no label across the split: every label ends before the next split starts', () => {
    const maxLabelEnd = (idx: Int32Array) => Math.max(...Array.from(idx, (s) => set.labelEnd[s]!));
    const minTime = (idx: Int32Array) => Math.min(...Array.from(idx, (s) => ds.times[s]!));
    const maxTime = (idx: Int32Array) => Math.max(...Array.from(idx, (s) => ds.times[s]!));
    expect(maxLabelEnd(split.train)).toBeLessThanOrEqual(minTime(split.val));
    expect(maxLabelEnd(split.val)).toBeLessThanOrEqual(minTime(split.test));
    // The gaps are at least one barrier horizon of candles (DESIGN.md "Models": purged by the horizon).
    expect(minTime(split.val) - maxTime(split.train)).toBeGreaterThanOrEqual(BARRIER.horizon * FIVE_MIN);
    expect(minTime(split.test) - maxTime(split.val)).toBeGreaterThanOrEqual(BARRIER.horizon * FIVE_MIN);
    expect(split.bounds.testStart - split.bounds.valEnd).toBeGreaterThanOrEqual(set.horizonMs);
    // DASH's missing step (one candle absent at index 4841) stretches the labels over it to 25 steps,
    // and the purge follows the longest label.
    expect(set.horizonMs).toBe((BARRIER.horizon + 1) * FIVE_MIN);
    expect(split.train.length + split.val.length + split.test.length + split.purged).toBe(ds.labels.length);
  });

  it('fits the scaler on the rows the training windows read, and on nothing else', () => {
    const rows = trainingRows(set);
    expect(set.pipeline.scaler.count).toBe(rows.length);
    // Every row is at or before the last training sample of its series.
    const lastTrainEnd = Math.max(...Array.from(split.train, (s) => ds.times[s]!));
    const openTime = (r: number) => {
      const b = set.series.find((s) => r >= s.firstRow && r < s.firstRow + s.rows)!;
      return series.find((x) => x.symbol === b.symbol)!.candles[r - b.firstRow]!.openTime;
    };
    for (const r of rows) expect(openTime(r)).toBeLessThanOrEqual(lastTrainEnd);
    // The mean and σ of one feature recomputed by hand over exactly those rows.
    const col = INDICATOR_COLUMNS.indexOf('rsi_value');
    const j = set.pipeline.features.indexOf('rsi_value');
    const values = Array.from(rows, (r) => set.transformed[r * INDICATOR_COLUMNS.length + col]!);
    const mean = values.reduce((a, b) => a + b, 0) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length);
    expect(set.pipeline.scaler.mean[j]).toBeCloseTo(mean, 9);
    expect(set.pipeline.scaler.std[j]).toBeCloseTo(sd, 9);
  });

  it('keeps each window inside ready rows of one series', () => {
    for (let s = 0; s < ds.labels.length; s++) {
      const end = ds.ends[s]!;
      const block = set.series.find((b) => end >= b.firstRow && end < b.firstRow + b.rows)!;
      expect(end - T + 1).toBeGreaterThanOrEqual(block.readyRow);
      expect(windowFits(set, s, T)).toBe(true);
    }
    expect(windowFits(set, 0, T + 1)).toBe(false); // the first sample's window starts at the first ready row
    // From the first row with a full ready window (49 warm-up rows, then T) to the last labelled one.
    expect(set.series.map((b) => b.samples)).toEqual([5758 - 49 - (T - 1) - BARRIER.horizon, 5760 - 49 - (T - 1) - BARRIER.horizon]);
  });

  it('labels each sample with the barrier function the outcome tracker uses', () => {
    const dash = series[0]!.candles;
    const prices = { high: dash.map((c) => c.high), low: dash.map((c) => c.low), close: dash.map((c) => c.close) };
    const m = buildFeatureMatrix(dash, 'DASH/BTC');
    const atrCol = INDICATOR_COLUMNS.indexOf('atr_value');
    for (const s of [0, 100, 1234, set.series[0]!.samples - 1]) {
      const i = ds.ends[s]!; // DASH is the first block, so its global rows are its local indices
      const l = tripleBarrierAt(prices, m.raw[i * INDICATOR_COLUMNS.length + atrCol]!, i, BARRIER)!;
      expect(classOf(ds.labels[s]!)).toBe(l.label);
      expect(set.buyPnlPct[s]).toBe(l.long.pnlPct);
      expect(set.sellPnlPct[s]).toBe(l.short.pnlPct);
    }
  });

  it('encodes exactly the configured FEATURES subset, in column order', () => {
    const sub = buildTrainingSet(series, { features: ['volatility', 'rsi_value'], barrier: BARRIER, weights: uniformWeights(), timesteps: T });
    expect(sub.dataset.featureNames).toEqual(['rsi_value', 'volatility']);
    expect(sub.dataset.featureCount).toBe(2);
    expect(sub.dataset.rows.length).toBe(set.readyFrom.length * 2);
    expect(Array.from(sub.split.test)).toEqual(Array.from(split.test));
  });

  it('refuses too little history, one label class and NaN features with typed errors', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(DatasetError);
        return (e as DatasetError).code;
      }
      return 'no error';
    };
    const short = [load('LTC_BTC-5m.json', 'LTC/BTC', 400)];
    expect(code(() => buildTrainingSet(short, { features: [...INDICATOR_COLUMNS], barrier: BARRIER, weights: uniformWeights() }))).toBe('DATASET_TOO_SMALL');
    expect(
      code(() => buildTrainingSet(series, { features: [...INDICATOR_COLUMNS], barrier: { ...BARRIER, tpAtrMult: 80, slAtrMult: 80 }, weights: uniformWeights() })),
    ).toBe('DATASET_SINGLE_CLASS');
    const broken = series.map((s) => ({ ...s, candles: s.candles.map((c, i) => (i === 2000 ? { ...c, volume: Number.NaN } : c)) }));
    expect(code(() => buildTrainingSet(broken, { features: [...INDICATOR_COLUMNS], barrier: BARRIER, weights: uniformWeights() }))).toBe('DATASET_NAN');
  });
});
