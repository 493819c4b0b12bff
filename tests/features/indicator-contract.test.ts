/**
 * The shared contract every indicator column passes (STYLE.md "Streaming indicators"):
 * warm-up length equals TA-Lib's lookback, the same input gives the same output (also after reset),
 * and values equal TA-Lib's, from TA-Lib's first value on, to 1e-9 relative on real candle files.
 * Columns TA-Lib does not have (vwap, volatility) and the simple ones (volume_ma, price_change_pct)
 * are also checked against direct computations written out here.
 *
 * Reference values: tests/fixtures/talib/<FILE>.json, produced by scripts/talib-reference.mjs with
 * TA-Lib 0.6.0-dev's C code (npm talib@2.0.5); see tests/fixtures/talib/README.md.
 */
import { describe, expect, it } from 'vitest';
import type { IndicatorColumn } from '../../src/domain/indicators.ts';
import { COLUMN_DEFINITIONS, type ColumnDefinition } from '../../src/features/indicators/registry.ts';
import type { Bar } from '../../src/features/indicators/indicator.ts';
import { floorFor, loadBars, loadTalibFixture, REL_TOL } from './candles.ts';

function run(def: ColumnDefinition, bars: readonly Bar[]): (number | null)[] {
  const s = def.create();
  return bars.map((b) => s.update(b));
}

/** Index of the first non-null value, and whether every later value is non-null. */
function warmup(values: readonly (number | null)[]): { first: number; gapsAfter: number } {
  const first = values.findIndex((v) => v !== null);
  const gapsAfter = values.slice(first).filter((v) => v === null).length;
  return { first, gapsAfter };
}

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'XRP_ETH-5m.json'] as const;
const data = FILES.map((file) => ({ file, bars: loadBars(file), fixture: loadTalibFixture(file) }));

/** Lookbacks of the columns TA-Lib has no function for, from their definitions in DESIGN.md. */
const DIRECT_LOOKBACK: Partial<Record<IndicatorColumn, number>> = {
  vwap: 0, // a session VWAP exists from the first candle
  volatility: 20, // 20 log returns need 21 closes
};

describe.each(COLUMN_DEFINITIONS.map((d) => [d.column, d] as const))('%s', (column, def) => {
  it('has a warm-up of exactly its lookback, then a value on every candle', () => {
    for (const { bars, fixture } of data) {
      const values = run(def, bars);
      const { first, gapsAfter } = warmup(values);
      const expected = fixture.series[column]?.begIndex ?? DIRECT_LOOKBACK[column];
      expect(expected, `no reference lookback for ${column}`).toBeTypeOf('number');
      expect(def.create().lookback).toBe(expected);
      expect(first).toBe(expected);
      expect(gapsAfter).toBe(0);
    }
  });

  it('is deterministic: same input, same output, also after reset', () => {
    const { bars } = data[0]!;
    const a = run(def, bars);
    const b = run(def, bars);
    const s = def.create();
    for (const bar of bars) s.update(bar);
    s.reset();
    expect(s.isStable).toBe(false);
    const c = bars.map((bar) => s.update(bar));
    expect(b).toEqual(a);
    expect(c).toEqual(a);
    expect(s.isStable).toBe(true);
  });
});

describe.each(COLUMN_DEFINITIONS.filter((d) => d.talib !== null).map((d) => [d.column, d] as const))('%s against TA-Lib', (column, def) => {
  it.each(FILES)(`equals TA-Lib ${def.talib} to 1e-9 relative on %s`, (file) => {
    const { bars, fixture } = data.find((d) => d.file === file)!;
    const ref = fixture.series[column];
    expect(ref, `fixture ${file} lacks ${column}`).toBeDefined();
    expect(ref!.values).toHaveLength(bars.length);
    const ours = run(def, bars);
    const bad: string[] = [];
    for (let i = 0; i < bars.length; i++) {
      const want = ref!.values[i]!;
      const got = ours[i]!;
      if (want === null || got === null) {
        if (want !== got) bad.push(`#${i}: ours ${got}, TA-Lib ${want}`);
        continue;
      }
      const tol = REL_TOL * Math.max(Math.abs(want), floorFor(column, bars[i]!));
      if (!(Math.abs(got - want) <= tol)) bad.push(`#${i}: ours ${got}, TA-Lib ${want}`);
    }
    expect(bad.slice(0, 5)).toEqual([]);
    // The comparison covers every TA-Lib output, from its first one.
    expect(ref!.values.filter((v) => v !== null).length).toBe(bars.length - ref!.begIndex);
  });
});

/** Direct computations, written from the definitions in DESIGN.md, independent of src/. */
const direct: Partial<Record<IndicatorColumn, (bars: readonly Bar[], i: number) => number | null>> = {
  vwap(bars, i) {
    const day = Math.floor(bars[i]!.openTime / 86_400_000);
    let pv = 0;
    let v = 0;
    for (let j = i; j >= 0 && Math.floor(bars[j]!.openTime / 86_400_000) === day; j--) {
      const b = bars[j]!;
      pv += ((b.high + b.low + b.close) / 3) * b.volume;
      v += b.volume;
    }
    const b = bars[i]!;
    return v > 0 ? pv / v : (b.high + b.low + b.close) / 3;
  },
  price_change_pct(bars, i) {
    return i < 1 ? null : 100 * (bars[i]!.close / bars[i - 1]!.close - 1);
  },
  volatility(bars, i) {
    if (i < 20) return null;
    const r: number[] = [];
    for (let j = i - 19; j <= i; j++) r.push(Math.log(bars[j]!.close / bars[j - 1]!.close));
    const mean = r.reduce((a, x) => a + x, 0) / r.length;
    return Math.sqrt(r.reduce((a, x) => a + (x - mean) ** 2, 0) / r.length);
  },
  volume_ma(bars, i) {
    if (i < 19) return null;
    let s = 0;
    for (let j = i - 19; j <= i; j++) s += bars[j]!.volume;
    return s / 20;
  },
};

describe.each(Object.keys(direct) as IndicatorColumn[])('%s against a direct computation', (column) => {
  const def = COLUMN_DEFINITIONS.find((d) => d.column === column)!;
  it.each(FILES)('agrees to 1e-9 relative on %s', (file) => {
    const { bars } = data.find((d) => d.file === file)!;
    const ours = run(def, bars);
    const bad: string[] = [];
    for (let i = 0; i < bars.length; i++) {
      const want = direct[column]!(bars, i);
      const got = ours[i]!;
      if (want === null || got === null) {
        if (want !== got) bad.push(`#${i}: ours ${got}, direct ${want}`);
        continue;
      }
      if (!(Math.abs(got - want) <= REL_TOL * Math.max(Math.abs(want), floorFor(column, bars[i]!)))) {
        bad.push(`#${i}: ours ${got}, direct ${want}`);
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
  });
});

it('VWAP restarts at 00:00 UTC: the first candle of a day has VWAP = its typical price', () => {
  const { bars } = data[0]!;
  const s = COLUMN_DEFINITIONS.find((d) => d.column === 'vwap')!.create();
  let checked = 0;
  for (const b of bars) {
    const v = s.update(b)!;
    if (b.openTime % 86_400_000 === 0 && b.volume > 0) {
      expect(v).toBeCloseTo((b.high + b.low + b.close) / 3, 15);
      checked++;
    }
  }
  expect(checked).toBe(20); // 2018-01-11 .. 2018-01-30 in the LTC file
});
