/**
 * 200 checks on stationary synthetic data from the training regime (another seed, same parameters):
 * at most 2% may report data drift (issue 6). Also measured without the autocorrelation correction,
 * to show the trap it avoids (the test requires that naive rate to be far higher, so the correction
 * is what makes the difference).
 */
import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { checkDrift } from '../../src/drift/check.ts';
import { ksPValueAsymptotic, ksStatistic, psiOverEdges, sortedFinite } from '../../src/drift/stats.ts';
import { liveWorld, trainingReference, windowAt } from './helpers.ts';

const CHECKS = 200;
const STEP = 37; // candles between checks: windows overlap (as hourly checks on 5m candles would)

describe.each([4, 20])('200 stationary checks, %i symbols, window 500', (symbols) => {
  const model = trainingReference(symbols);
  const perSymbol = Math.floor(500 / symbols);
  const mats = liveWorld({ symbols, candles: 300 + perSymbol + CHECKS * STEP });
  const ends = Array.from({ length: CHECKS }, (_, k) => 300 + perSymbol + k * STEP);

  it('raise at most 2% false alarms', () => {
    let alarms = 0;
    for (const end of ends) if (checkDrift({ model, vectors: windowAt(mats, end), predictions: [], outcomes: [] }).driftDetected) alarms++;
    console.info(`${symbols} symbols: ${alarms} false alarms in ${CHECKS} stationary checks (${((100 * alarms) / CHECKS).toFixed(1)}%)`);
    expect(alarms).toBeLessThanOrEqual(0.02 * CHECKS);
  });

  it('the naive tests (independent draws) would alarm far more often', () => {
    let alarms = 0;
    for (const end of ends) {
      const w = windowAt(mats, end);
      let drifted = 0;
      INDICATOR_COLUMNS.forEach((f, col) => {
        const recent = sortedFinite(Array.from({ length: w.rows }, (_, r) => w.values[r * 17 + col]!));
        const ref = model.reference!.features.samples[f]!;
        const d = ksStatistic(recent, sortedFinite(ref));
        if (ksPValueAsymptotic(d, recent.length, ref.length) < 0.05 / 17 || psiOverEdges(ref, recent, model.reference!.features.edges[f]!) >= 0.2) drifted++;
      });
      if (drifted * 2 >= 17) alarms++;
    }
    console.info(`${symbols} symbols, naive: ${alarms} alarms in ${CHECKS}`);
    expect(alarms).toBeGreaterThan(0.1 * CHECKS);
  });
});
