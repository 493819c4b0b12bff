import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorWeight } from '../../src/domain/indicators.ts';
import { stepWeightsTowardImportance, weightsFromRecords } from '../../src/features/weights.ts';

function row(name: string, currentWeight: number, minWeight = 0.1, maxWeight = 2): IndicatorWeight {
  return { name, currentWeight, defaultWeight: 1, category: 'trend', minWeight, maxWeight, importanceRank: null, updateCount: 0, lastUpdated: 0 };
}

describe('indicator weights', () => {
  it('reads store rows: clamps to bounds, defaults missing columns to 1, ignores unknown names', () => {
    const w = weightsFromRecords([row('rsi_value', 5), row('ema_12', 0.01), row('macd_line', 1.4), row('not_a_column', 3)]);
    expect(w.rsi_value).toBe(2);
    expect(w.ema_12).toBe(0.1);
    expect(w.macd_line).toBe(1.4);
    expect(w.mfi_value).toBe(1);
    expect(Object.keys(w)).toEqual([...INDICATOR_COLUMNS]);
  });

  it('moves used columns toward normalised importance by a bounded step, within bounds', () => {
    const records = INDICATOR_COLUMNS.map((c) => row(c, 1));
    // Mean importance 0.2 → targets rsi 0.3/0.2 = 1.5, ema_12 0.1/0.2 = 0.5, mfi (negative → 0) → 0.1 (min).
    const u = stepWeightsTowardImportance(records, { rsi_value: 0.3, ema_12: 0.1, mfi_value: -0.05, atr_value: 0.4 }, 0.1);
    expect(u.next.rsi_value).toBeCloseTo(1.1, 12);
    expect(u.next.ema_12).toBeCloseTo(0.9, 12);
    expect(u.next.mfi_value).toBeCloseTo(0.9, 12);
    expect(u.next.atr_value).toBeCloseTo(1.1, 12);
    expect(u.changes.rsi_value).toBeCloseTo(0.1, 12);
    expect(u.previous.rsi_value).toBe(1);
    expect(u.next.volatility).toBeUndefined(); // not used by the model: untouched, unreported

    // Mean importance 0.5 → rsi target 2, beyond this row's max_weight 1.5: it stops at 1.5.
    const near = stepWeightsTowardImportance([row('rsi_value', 1.45, 0.1, 1.5)], { rsi_value: 1, ema_12: 0 }, 0.5);
    expect(near.next.rsi_value).toBe(1.5);
    expect(near.next.ema_12).toBeCloseTo(0.5, 12); // no row: default bounds, target 0 → min 0.1, step 0.5 from 1
  });
});
