/**
 * Indicators and transformed features over a whole candle series, for training, labels and
 * backtests: the same IndicatorSet and transforms as the live path, laid out as row-major N×17
 * arrays so windows can be encoded with FeaturePipeline.encodeRows.
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import { IndicatorSet } from './indicator-set.ts';
import type { Bar } from './indicators/indicator.ts';
import { transformRaw } from './transforms.ts';

export interface FeatureMatrix {
  rows: number;
  openTimes: Float64Array;
  /** Raw indicator values, N×17, NaN while warming up. */
  raw: Float64Array;
  /** Transformed values, N×17 (Float32, as the live ring stores them), NaN while warming up. */
  transformed: Float32Array;
  /** First row where all 17 columns have values (IndicatorSet.WARMUP_CANDLES − 1), or −1. */
  firstReady: number;
}

export function buildFeatureMatrix(bars: readonly Bar[], symbol?: string): FeatureMatrix {
  const n = bars.length;
  const cols = INDICATOR_COLUMNS.length;
  const set = new IndicatorSet(symbol);
  const m: FeatureMatrix = {
    rows: n,
    openTimes: new Float64Array(n),
    raw: new Float64Array(n * cols),
    transformed: new Float32Array(n * cols),
    firstReady: -1,
  };
  for (let i = 0; i < n; i++) {
    const bar = bars[i]!;
    set.push(bar);
    m.openTimes[i] = bar.openTime;
    m.raw.set(set.raw, i * cols);
    transformRaw(set.raw, bar, m.transformed, i * cols);
    if (m.firstReady < 0 && set.isReady) m.firstReady = i;
  }
  return m;
}
