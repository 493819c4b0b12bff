import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../../src/domain/indicators.ts';
import { CandleOrderError } from '../../src/features/errors.ts';
import { IndicatorSet, rawToValues, valuesToRaw } from '../../src/features/indicator-set.ts';
import { COLUMN_DEFINITIONS } from '../../src/features/indicators/registry.ts';
import { floorFor, loadBars, loadTalibFixture, REL_TOL } from './candles.ts';

describe('IndicatorSet', () => {
  it.each(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'])('gives, on %s, exactly the values of the per-column indicators, and TA-Lib\'s', (file) => {
    const bars = loadBars(file);
    const fixture = loadTalibFixture(file);
    const set = new IndicatorSet('X/Y');
    const streams = COLUMN_DEFINITIONS.map((d) => d.create());
    const differ: string[] = [];
    const offTalib: string[] = [];
    bars.forEach((bar, i) => {
      const values = set.update(bar);
      COLUMN_DEFINITIONS.forEach((def, c) => {
        const own = streams[c]!.update(bar);
        if (!Object.is(values[def.column], own)) differ.push(`${def.column} #${i}: set ${values[def.column]}, stream ${own}`);
        const ref = fixture.series[def.column]?.values[i];
        const got = values[def.column];
        // The contract test's bound.
        if (ref !== undefined && (ref === null ? got !== null : got === null || !(Math.abs(got - ref) <= REL_TOL * Math.max(Math.abs(ref), floorFor(def.column, bar))))) {
          offTalib.push(`${def.column} #${i}: ${got} vs TA-Lib ${ref}`);
        }
      });
    });
    expect(differ.slice(0, 5)).toEqual([]);
    expect(offTalib.slice(0, 5)).toEqual([]);
  });

  it('is ready exactly when all 17 columns have values (after 50 candles: EMA(50))', () => {
    const bars = loadBars('LTC_BTC-5m.json').slice(0, 60);
    const set = new IndicatorSet();
    bars.forEach((bar, i) => {
      const values = set.update(bar);
      const allPresent = INDICATOR_COLUMNS.every((c) => values[c] !== null);
      expect(set.isReady).toBe(allPresent);
      expect(set.isReady).toBe(i + 1 >= IndicatorSet.WARMUP_CANDLES);
    });
    expect(IndicatorSet.WARMUP_CANDLES).toBe(Math.max(...COLUMN_DEFINITIONS.map((d) => d.create().lookback)) + 1);
  });

  it('rejects a candle that is not after the last one, and keeps its state', () => {
    const bars = loadBars('LTC_BTC-5m.json').slice(0, 80);
    const clean = new IndicatorSet();
    const dirty = new IndicatorSet('LTC/BTC');
    for (let i = 0; i < 70; i++) {
      clean.push(bars[i]!);
      dirty.push(bars[i]!);
    }
    for (const bad of [bars[69]!, bars[10]!, { ...bars[70]!, openTime: bars[69]!.openTime }]) {
      let caught: unknown;
      try {
        dirty.push(bad);
      } catch (err) {
        caught = err;
      }
      expect(caught).toBeInstanceOf(CandleOrderError);
      expect((caught as CandleOrderError).code).toBe('CANDLE_OUT_OF_ORDER');
    }
    expect(dirty.count).toBe(70);
    for (let i = 70; i < 80; i++) expect(dirty.update(bars[i]!)).toEqual(clean.update(bars[i]!));
  });

  it('continues over a replay gap with the candles that exist (DASH_BTC-5m has 2 missing steps)', () => {
    const bars = loadBars('DASH_BTC-5m.json');
    const gaps = bars.flatMap((b, i) => (i > 0 && b.openTime - bars[i - 1]!.openTime > 300_000 ? [i] : []));
    expect(gaps.length).toBeGreaterThan(0); // the file's README: 2 missing steps
    const set = new IndicatorSet('DASH/BTC');
    const after = new Map<number, ReturnType<IndicatorSet['update']>>();
    bars.forEach((b, i) => {
      const v = set.update(b);
      if (gaps.includes(i)) after.set(i, v);
    });
    for (const i of gaps) {
      const v = after.get(i)!;
      expect(INDICATOR_COLUMNS.every((c) => v[c] !== null)).toBe(true);
      // "previous close" across the gap is the previous candle that exists.
      expect(v.price_change_pct).toBeCloseTo(100 * (bars[i]!.close / bars[i - 1]!.close - 1), 12);
    }
  });

  it('reset returns to the fresh state', () => {
    const bars = loadBars('XLM_BTC-5m.json').slice(0, 120);
    const set = new IndicatorSet();
    const first = bars.map((b) => set.update(b));
    set.reset();
    expect(set.count).toBe(0);
    expect(set.isReady).toBe(false);
    expect(bars.map((b) => set.update(b))).toEqual(first);
  });

  it('converts between raw arrays and IndicatorValues without loss, NaN <-> null', () => {
    const raw = Float64Array.from(INDICATOR_COLUMNS, (_, i) => (i % 3 === 0 ? NaN : i * 1.5 - 4));
    const values = rawToValues(raw);
    INDICATOR_COLUMNS.forEach((c: IndicatorColumn, i) => expect(values[c]).toBe(i % 3 === 0 ? null : i * 1.5 - 4));
    expect(Array.from(valuesToRaw(values))).toEqual(Array.from(raw));
  });
});
