import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorColumn, type IndicatorValues } from '../../src/domain/indicators.ts';
import { FeatureSpecError } from '../../src/features/errors.ts';
import { FeaturePipeline } from '../../src/features/pipeline.ts';
import { Scaler } from '../../src/features/scaler.ts';
import { selectFeatures, transformFeatures, transformRaw, transformValue } from '../../src/features/transforms.ts';
import { uniformWeights } from '../../src/features/weights.ts';

const candle = { close: 2, volume: 30 };

/** Raw values chosen so each transform's expected result is easy to check by hand. */
const values: IndicatorValues = {
  adx_value: 25,
  rsi_value: 70,
  ema_12: 1.6, // 2 / 1.6 − 1 = 0.25
  ema_21: 2.5, // 2 / 2.5 − 1 = −0.2
  ema_50: 4, // −0.5
  vwap: 1, // 1
  atr_value: 0.1, // 0.1 / 2 = 0.05
  bollinger_upper: 2.5, // −0.2
  bollinger_lower: 1.6, // 0.25
  stoch_k: 80,
  stoch_d: 10,
  macd_line: 0.02, // 0.01
  macd_signal: -0.04, // −0.02
  volume_ma: 20, // 30 / 20 = 1.5
  price_change_pct: -1.25,
  volatility: 0.004,
  mfi_value: 55,
};

// Expected values from the table in src/features/transforms.ts, worked out by hand for `values`.
const expected: Record<IndicatorColumn, number> = {
  adx_value: 0.25,
  rsi_value: 0.7,
  ema_12: 0.25,
  ema_21: -0.2,
  ema_50: -0.5,
  vwap: 1,
  atr_value: 0.05,
  bollinger_upper: -0.2,
  bollinger_lower: 0.25,
  stoch_k: 0.8,
  stoch_d: 0.1,
  macd_line: 0.01,
  macd_signal: -0.02,
  volume_ma: 1.5,
  price_change_pct: -1.25,
  volatility: 0.004,
  mfi_value: 0.55,
};

describe('stationary transforms', () => {
  it.each(INDICATOR_COLUMNS.map((c) => [c]))('%s follows the documented formula', (c) => {
    expect(transformValue(c, values[c], candle)).toBeCloseTo(expected[c], 14);
  });

  it('maps a warming-up value to NaN and a 0/0 volume ratio to 1', () => {
    for (const c of INDICATOR_COLUMNS) expect(transformValue(c, null, candle)).toBeNaN();
    expect(transformValue('volume_ma', 0, { close: 1, volume: 0 })).toBe(1);
  });

  it('works on any subset, returned in domain/indicators.ts order', () => {
    const subset: IndicatorColumn[] = ['mfi_value', 'ema_12', 'adx_value'];
    expect(selectFeatures(subset)).toEqual(['adx_value', 'ema_12', 'mfi_value']);
    expect(Array.from(transformFeatures(subset, values, candle))).toEqual([
      transformValue('adx_value', 25, candle),
      transformValue('ema_12', 1.6, candle),
      transformValue('mfi_value', 55, candle),
    ]);
    // The full-row form agrees with the per-column form.
    const raw = Float64Array.from(INDICATOR_COLUMNS, (c) => values[c]!);
    const row = new Float64Array(17);
    transformRaw(raw, candle, row);
    expect(Array.from(row)).toEqual(Array.from(transformFeatures([...INDICATOR_COLUMNS], values, candle)));
  });

  it('rejects unknown, duplicated and empty feature lists with FeatureSpecError', () => {
    for (const bad of [['rsi_value', 'rsi'], ['rsi_value', 'rsi_value'], []]) {
      expect(() => selectFeatures(bad)).toThrow(FeatureSpecError);
    }
    try {
      selectFeatures(['nope']);
    } catch (err) {
      expect((err as FeatureSpecError).code).toBe('FEATURES_INVALID');
    }
  });
});

describe('Scaler', () => {
  const features: IndicatorColumn[] = ['rsi_value', 'volatility'];

  it('fits population mean and σ per feature, skipping incomplete rows', () => {
    // rsi column: 1, 2, 3, 4 → mean 2.5, σ = sqrt(1.25); volatility: 10, 10, 10, 10 → constant → σ 1.
    const rows = [[1, 10], [2, 10], [NaN, 99], [3, 10], [4, 10]];
    const s = Scaler.fit(features, rows);
    expect(s.count).toBe(4);
    expect(Array.from(s.mean)).toEqual([2.5, 10]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(1.25), 15);
    expect(s.std[1]).toBe(1);
  });

  it('standardises its training data to mean 0 and σ 1 (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.double({ min: -1e3, max: 1e3, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: 2, maxLength: 60 }),
        (rows) => {
          const s = Scaler.fit(features, rows);
          for (let j = 0; j < 2; j++) {
            const z = rows.map((r) => s.scale(j, r[j]!));
            const mean = z.reduce((a, b) => a + b, 0) / z.length;
            const sd = Math.sqrt(z.reduce((a, b) => a + (b - mean) ** 2, 0) / z.length);
            expect(Math.abs(mean)).toBeLessThan(1e-6);
            if (s.std[j] !== 1) expect(sd).toBeCloseTo(1, 6);
          }
        },
      ),
      { numRuns: 200, seed: 20180110 },
    );
  });

  it('round-trips through JSON exactly', () => {
    const s = Scaler.fit(features, [[0.1, 0.002], [0.7, 0.004], [0.45, 0.0031]]);
    const back = Scaler.fromJSON(JSON.parse(JSON.stringify(s)));
    expect(back.features).toEqual(s.features);
    expect(Array.from(back.mean)).toEqual(Array.from(s.mean));
    expect(Array.from(back.std)).toEqual(Array.from(s.std));
    expect(back.scale(1, 0.0042)).toBe(s.scale(1, 0.0042));
  });

  it('rejects malformed JSON with FeatureSpecError', () => {
    const good = Scaler.fit(features, [[1, 2], [3, 5]]).toJSON();
    for (const bad of [
      { ...good, std: [1] },
      { ...good, std: [1, -2] },
      { ...good, features: ['volatility', 'rsi_value'] },
      { ...good, features: ['rsi_value', 'bogus'] },
      { ...good, mean: [1, null] },
      null,
    ]) {
      expect(() => Scaler.fromJSON(bad)).toThrow(FeatureSpecError);
    }
  });
});

describe('FeaturePipeline', () => {
  const features: IndicatorColumn[] = ['rsi_value', 'ema_12'];
  const scaler = Scaler.fit(features, [[0.2, -0.01], [0.8, 0.03]]); // mean [0.5, 0.01], σ [0.3, 0.02]
  const weights = { ...uniformWeights(), rsi_value: 2, ema_12: 0.5 };

  it('selects, z-scores and weights a transformed row', () => {
    const p = new FeaturePipeline(scaler, weights);
    const row = new Float64Array(17);
    row[INDICATOR_COLUMNS.indexOf('rsi_value')] = 0.65;
    row[INDICATOR_COLUMNS.indexOf('ema_12')] = -0.03;
    row[INDICATOR_COLUMNS.indexOf('mfi_value')] = 123; // not a feature: ignored
    const out = new Float64Array(3).fill(7);
    p.encodeRow(row, 0, out, 1);
    expect(out[0]).toBe(7);
    expect(out[1]).toBeCloseTo(((0.65 - 0.5) / 0.3) * 2, 12);
    expect(out[2]).toBeCloseTo(((-0.03 - 0.01) / 0.02) * 0.5, 12);
  });

  it('round-trips through JSON (what model metadata stores)', () => {
    const p = new FeaturePipeline(scaler, weights);
    const back = FeaturePipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
    expect(back.features).toEqual(['rsi_value', 'ema_12']);
    expect(Array.from(back.weights)).toEqual([2, 0.5]);
    const row = Float32Array.from({ length: 17 }, (_, i) => i / 17);
    const a = new Float32Array(2);
    const b = new Float32Array(2);
    p.encodeRow(row, 0, a, 0);
    back.encodeRow(row, 0, b, 0);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  it('refuses a weight snapshot without a weight for a feature, or a scaler of other features', () => {
    expect(() => new FeaturePipeline(scaler, { rsi_value: 1 })).toThrow(FeatureSpecError);
    const json = new FeaturePipeline(scaler, weights).toJSON();
    expect(() => FeaturePipeline.fromJSON({ ...json, features: ['rsi_value'] })).toThrow(FeatureSpecError);
  });
});
