/**
 * importance_rank and weight_stability in ml_indicator_weights (sql/20261206000300_weight_stats.sql),
 * on the embedded store (PGlite): written when a training's report (ml_model_performance,
 * evaluation 'test', feature_importance) is stored through the Store port, as the training job
 * stores it. The expected stability is computed here from the definition in the migration's
 * header, independently of the SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore } from '../helpers/pg.ts';
import { bigMetrics } from '../store/fixtures.ts';

let store: SqlStore;

beforeAll(async () => {
  store = await memoryStore('public');
}, 60_000);
afterAll(async () => {
  await store?.close();
});

async function report(version: string, featureImportance: Record<string, number>, evaluation = 'test'): Promise<void> {
  await store.insertPerformance({ modelVersion: version, evaluation, trainingSamplesCount: 900, validationSamplesCount: 100, metrics: bigMetrics(), featureImportance });
}

async function stats(): Promise<Record<string, { rank: number | null; stability: number | null; updates: number }>> {
  const { rows } = await store.client.query<{ indicator_name: string; importance_rank: number | null; weight_stability: number | null; update_count: number }>(
    'SELECT indicator_name, importance_rank, weight_stability, update_count FROM ml_indicator_weights',
  );
  return Object.fromEntries(rows.map((r) => [r.indicator_name, { rank: r.importance_rank, stability: r.weight_stability, updates: r.update_count }]));
}

/** The migration's definition: shares per training, then 1 − min(1, sd / mean) over the trainings. */
function expectedStability(trainings: Record<string, number>[], name: string): number | null {
  const shares: number[] = [];
  for (const t of trainings) {
    if (!(name in t)) continue;
    const known = Object.entries(t).filter(([k]) => k !== 'close_return');
    const mean = known.reduce((a, [, v]) => a + Math.max(0, v), 0) / known.length;
    shares.push(mean > 0 ? Math.max(0, t[name]!) / mean : 1);
  }
  if (shares.length < 2) return null;
  const m = shares.reduce((a, b) => a + b, 0) / shares.length;
  const sd = Math.sqrt(shares.reduce((a, b) => a + (b - m) ** 2, 0) / (shares.length - 1));
  return m > 0 ? 1 - Math.min(1, sd / m) : 1;
}

describe('indicator statistics from training reports', () => {
  const t1 = { rsi_value: 0.08, adx_value: 0.02, macd_line: -0.01, close_return: 0.5 };
  const t2 = { rsi_value: 0.06, adx_value: 0.03, macd_line: 0.01 };
  const t3 = { rsi_value: 0.07, adx_value: 0.01, ema_12: 0.04 };

  it('ranks the latest training\'s indicators by importance; stability waits for a second training', async () => {
    await report('v-stats-1', t1);
    const s = await stats();
    expect([s.rsi_value!.rank, s.adx_value!.rank, s.macd_line!.rank]).toEqual([1, 2, 3]);
    expect(s.close_return).toBeUndefined(); // not an indicator: ignored
    expect(s.ema_12!.rank).toBeNull();
    expect(Object.values(s).every((x) => x.stability === null)).toBe(true);
  });

  it('measures over the trainings how steady each indicator\'s target weight is', async () => {
    await report('v-stats-2', t2);
    await report('v-stats-3', t3);
    // A comparison row is not a training: it changes nothing.
    await report('v-stats-3', { adx_value: 9 }, 'baseline_hold');
    const s = await stats();
    expect([s.rsi_value!.rank, s.ema_12!.rank, s.adx_value!.rank]).toEqual([1, 2, 3]);
    expect(s.macd_line!.rank).toBeNull(); // the latest training did not report it
    for (const name of ['rsi_value', 'adx_value', 'macd_line']) {
      expect(s[name]!.stability, name).toBeCloseTo(expectedStability([t1, t2, t3], name)!, 12);
    }
    expect(s.ema_12!.stability).toBeNull(); // one training only
    expect(s.rsi_value!.stability!).toBeGreaterThan(s.adx_value!.stability!); // rsi's share moved less
    for (const x of Object.values(s)) if (x.stability !== null) expect(x.stability).toBeGreaterThanOrEqual(0);
  });

  it('leaves them alone when an analyst edits a weight, and a weight edit still counts as an update', async () => {
    const before = await stats();
    await store.setWeights({ rsi_value: 1.4 });
    const after = await stats();
    expect(after.rsi_value!.rank).toBe(before.rsi_value!.rank);
    expect(after.rsi_value!.stability).toBe(before.rsi_value!.stability);
    expect(after.rsi_value!.updates).toBe(before.rsi_value!.updates + 1);
    // Nor did writing the statistics count as weight updates.
    expect(before.adx_value!.updates).toBe(0);
  });
});
