/**
 * Synthetic worlds for the drift tests: a reference built by the real training code
 * (buildTrainingSet + featureReference) on the synthetic training regime, and recent-vector
 * windows from another seed of the same regime, optionally shifted, laid out as the daemon's ring
 * holds them (tick order, symbols interleaved).
 */
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { buildFeatureMatrix, type FeatureMatrix } from '../../src/features/matrix.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { SYNTHETIC_DEFAULTS, syntheticSeries, type SyntheticParams } from '../../src/ingest/synthetic.ts';
import { featureReference } from '../../src/model/drift-reference.ts';
import { buildTrainingSet } from '../../src/model/training-set.ts';
import type { RecentVectors } from '../../src/drift/check.ts';
import type { ModelReference } from '../../src/drift/reference.ts';

const COLS = INDICATOR_COLUMNS.length;
export const BARRIER = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };

/** The reference of a model trained on `symbols` synthetic symbols, seed 1, 3,000 candles each. */
export function trainingReference(symbols: number, test: ModelReference['test'] = { accuracy: 0.5, winRate: 0.5, trades: 200 }): ModelReference {
  const train = syntheticSeries({ ...SYNTHETIC_DEFAULTS, seed: 1, symbols, candles: 3000 });
  const set = buildTrainingSet(
    train.map((c) => ({ symbol: c[0]!.symbol, timeframe: '5m' as const, candles: c })),
    { features: [...INDICATOR_COLUMNS], barrier: BARRIER, weights: uniformWeights() },
  );
  return { version: 'vtest', reference: { features: featureReference(set), predictions: null }, test };
}

/** Feature matrices of a live world (another seed of the same regime, maybe shifted). */
export function liveWorld(params: Partial<SyntheticParams>): FeatureMatrix[] {
  const series = syntheticSeries({ ...SYNTHETIC_DEFAULTS, seed: 2, ...params });
  return series.map((c) => buildFeatureMatrix(c, c[0]!.symbol));
}

/** The last `window` rows up to tick `end` (exclusive), interleaved by tick as the daemon's ring holds them. */
export function windowAt(mats: FeatureMatrix[], end: number, window = 500): RecentVectors {
  const perTick = mats.length;
  const ticks = Math.floor(window / perTick);
  const rows = ticks * perTick;
  const values = new Float64Array(rows * COLS);
  const series = new Int32Array(rows);
  let r = 0;
  for (let t = end - ticks; t < end; t++) {
    for (let s = 0; s < perTick; s++) {
      for (let c = 0; c < COLS; c++) values[r * COLS + c] = mats[s]!.transformed[t * COLS + c]!;
      series[r++] = s;
    }
  }
  return { rows, values, series };
}
