import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { checkDrift, type RecentVectors } from '../../src/drift/check.ts';
import type { OutcomeSample } from '../../src/drift/performance.ts';
import { liveWorld, trainingReference, windowAt } from './helpers.ts';

const COLS = INDICATOR_COLUMNS.length;
const SHIFT_AT = 2000;

/** First tick (candles after the shift, per symbol) whose check reports data drift, scanning every 5 ticks. */
function detectionDelay(symbols: number, shift: { shiftVol?: number; shiftDrift?: number }, bound: number): number | null {
  const model = trainingReference(symbols);
  const mats = liveWorld({ symbols, candles: SHIFT_AT + bound + 10, shiftAt: SHIFT_AT, ...shift });
  for (let after = 0; after <= bound; after += 5) {
    const r = checkDrift({ model, vectors: windowAt(mats, SHIFT_AT + after), predictions: [], outcomes: [] });
    if (r.drifted.includes('data')) return after;
  }
  return null;
}

describe('data drift on a synthetic regime shift', () => {
  it('trend reversed (drift −0.5 sigma per candle), 4 symbols: detected within 150 candles of the shift', () => {
    const delay = detectionDelay(4, { shiftVol: 1, shiftDrift: -0.5 }, 150);
    console.info(`trend reversal detected ${delay} candles after the shift (4 symbols, window 500)`);
    expect(delay).not.toBeNull();
    expect(delay!).toBeLessThanOrEqual(150);
  });

  it('volatility tripled, 20 symbols: detected within 200 candles of the shift', () => {
    const delay = detectionDelay(20, { shiftVol: 3 }, 200);
    console.info(`volatility x3 detected ${delay} candles after the shift (20 symbols, window 500)`);
    expect(delay).not.toBeNull();
    expect(delay!).toBeLessThanOrEqual(200);
  });
});

describe('bad input never alarms', () => {
  const model = trainingReference(2);
  const mats = liveWorld({ symbols: 2, candles: 1200 });

  it('no reference: status no_reference', () => {
    const r = checkDrift({ model: { ...model, reference: null }, vectors: windowAt(mats, 1000), predictions: [], outcomes: [] });
    expect(r.status).toBe('no_reference');
    expect(r.driftDetected).toBe(false);
  });

  it('too few vectors: insufficient_data', () => {
    const r = checkDrift({ model, vectors: windowAt(mats, 1000, 60), predictions: [], outcomes: [] });
    expect(r.status).toBe('insufficient_data');
    expect(r.driftDetected).toBe(false);
  });

  it('a constant feature is left out of the vote (status constant), the check still runs', () => {
    const w = windowAt(mats, 1000);
    const col = INDICATOR_COLUMNS.indexOf('rsi_value');
    for (let r = 0; r < w.rows; r++) w.values[r * COLS + col] = 0.5;
    const r = checkDrift({ model, vectors: w, predictions: [], outcomes: [] });
    expect(r.features.find((f) => f.feature === 'rsi_value')!.status).toBe('constant');
    expect(['ok', 'drift']).toContain(r.status);
    expect(r.data!.tested).toBe(16);
  });

  it('every feature constant: insufficient_data, no alarm', () => {
    const w: RecentVectors = { rows: 300, values: new Float64Array(300 * COLS).fill(1), series: new Int32Array(300) };
    const r = checkDrift({ model, vectors: w, predictions: [], outcomes: [] });
    expect(r.status).toBe('insufficient_data');
    expect(r.driftDetected).toBe(false);
  });

  it('NaN values (warming series) are skipped', () => {
    const w = windowAt(mats, 1000);
    for (let i = 0; i < 40 * COLS; i++) w.values[i] = NaN;
    expect(() => checkDrift({ model, vectors: w, predictions: [], outcomes: [] })).not.toThrow();
  });
});

describe('performance drift', () => {
  const model = trainingReference(2, { accuracy: 0.6, winRate: 0.55, trades: 300 });
  const mats = liveWorld({ symbols: 2, candles: 1200 });
  const vectors = windowAt(mats, 1000);
  const outcomes = (n: number, rightShare: number): OutcomeSample[] =>
    Array.from({ length: n }, (_, i) => {
      const right = (i * 7919) % 100 < rightShare * 100;
      return { correct: right, trade: i % 2 === 0, win: right };
    });

  it('fires when outcomes turn bad (30% right vs 60% on test, 100 outcomes)', () => {
    const r = checkDrift({ model, vectors, predictions: [], outcomes: outcomes(100, 0.3) });
    expect(r.performance!.drifted).toBe(true);
    expect(r.drifted).toContain('performance');
    expect(r.status).toBe('drift');
  });

  it('stays silent below the minimum count (the same bad outcomes, 40 < 50)', () => {
    const r = checkDrift({ model, vectors, predictions: [], outcomes: outcomes(40, 0.3) });
    expect(r.performance).toBeNull();
    expect(r.drifted).not.toContain('performance');
  });

  it('stays silent when outcomes match the test figures', () => {
    const r = checkDrift({ model, vectors, predictions: [], outcomes: outcomes(200, 0.6) });
    expect(r.performance!.drifted).toBe(false);
  });
});
