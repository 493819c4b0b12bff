import { describe, expect, it } from 'vitest';
import { DatasetError } from '../../src/model/errors.ts';
import { classCounts, classWeights, splitByTime } from '../../src/model/split.ts';

const STEP = 300_000; // 5m candles
const HORIZON = 24;

/** Samples of several symbols interleaved in row order, with unequal histories and a gap. */
function multiSymbolTimes(): Float64Array {
  const t: number[] = [];
  for (let i = 0; i < 1000; i++) {
    t.push(i * STEP); // symbol A: the full range
    if (i >= 100) t.push(i * STEP); // symbol B starts later
    if (i % 7 !== 0 && i < 900) t.push(i * STEP); // symbol C: holes, ends earlier
  }
  // shuffle the row order deterministically: the split must not depend on it
  return Float64Array.from(t.map((v, i) => [v, (i * 7919) % t.length] as const).sort((a, b) => a[1] - b[1]).map((p) => p[0]));
}

describe('splitByTime', () => {
  it('leaves at least one horizon between train and validation and between validation and test, by time, across symbols', () => {
    const times = multiSymbolTimes();
    const s = splitByTime(times, { horizonMs: HORIZON * STEP });
    const max = (rows: Int32Array) => Math.max(...Array.from(rows, (i) => times[i]!));
    const min = (rows: Int32Array) => Math.min(...Array.from(rows, (i) => times[i]!));
    expect(min(s.val) - max(s.train)).toBeGreaterThanOrEqual(HORIZON * STEP);
    expect(min(s.test) - max(s.val)).toBeGreaterThanOrEqual(HORIZON * STEP);
    // Every sample is in exactly one split or purged.
    expect(s.train.length + s.val.length + s.test.length + s.purged).toBe(times.length);
    expect(new Set([...s.train, ...s.val, ...s.test]).size).toBe(s.train.length + s.val.length + s.test.length);
    // Purged: the samples strictly inside each gap; at this density, 23 steps × 3 symbols per gap at most.
    expect(s.purged).toBeGreaterThan(0);
    expect(s.purged).toBeLessThanOrEqual(2 * (HORIZON - 1) * 3);
    // Bounds agree with the rows, and rows are in time order.
    expect(s.bounds.trainEnd).toBe(max(s.train));
    expect(s.bounds.testStart).toBe(min(s.test));
    for (let k = 1; k < s.val.length; k++) expect(times[s.val[k]!]!).toBeGreaterThanOrEqual(times[s.val[k - 1]!]!);
  });

  it('cuts by time, so one instant never lands in two splits', () => {
    const times = multiSymbolTimes();
    const s = splitByTime(times, { horizonMs: 0 });
    const trainTimes = new Set(Array.from(s.train, (i) => times[i]));
    for (const i of s.val) expect(trainTimes.has(times[i])).toBe(false);
  });

  it('fails with DATASET_TOO_SMALL naming the counts when history is short', () => {
    const times = Float64Array.from({ length: 200 }, (_, i) => i * STEP);
    let err: unknown;
    try {
      splitByTime(times, { horizonMs: HORIZON * STEP });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatasetError);
    const e = err as DatasetError;
    expect(e.code).toBe('DATASET_TOO_SMALL');
    expect(e.context).toMatchObject({ samples: 200, required: { train: 300, val: 60, test: 60 } });
    expect(e.message).toMatch(/200 samples/);
  });
});

describe('classWeights', () => {
  it('is inverse frequency, normalised so weighted count = sample count', () => {
    // 6 BUY, 2 SELL, 12 HOLD → w = 20 / (3 × n_c) = 1.111, 3.333, 0.556
    const labels = Uint8Array.from([...Array(6).fill(0), ...Array(2).fill(1), ...Array(12).fill(2)]);
    const rows = Int32Array.from(labels.keys());
    const w = classWeights(labels, rows);
    expect(w[0]).toBeCloseTo(20 / 18, 12);
    expect(w[1]).toBeCloseTo(20 / 6, 12);
    expect(w[2]).toBeCloseTo(20 / 36, 12);
    const counts = classCounts(labels, rows);
    expect(counts[0] * w[0] + counts[1] * w[1] + counts[2] * w[2]).toBeCloseTo(20, 10);
  });

  it('gives an absent class weight 0 and refuses a single class', () => {
    const two = Uint8Array.from([0, 0, 2, 2, 2, 2]);
    expect(classWeights(two, Int32Array.from(two.keys()))).toEqual([1.5, 0, 0.75]);
    const one = Uint8Array.from([2, 2, 2]);
    expect(() => classWeights(one, Int32Array.from(one.keys()))).toThrow(expect.objectContaining({ code: 'DATASET_SINGLE_CLASS' }));
  });
});
