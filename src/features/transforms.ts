/**
 * Stationary transforms: what the model sees instead of raw indicator levels. Pure functions, used
 * by both the training pipeline and the live path, so a model always gets the features it was
 * trained on.
 *
 * | column                             | transform                     | why                                   |
 * |------------------------------------|-------------------------------|---------------------------------------|
 * | ema_12, ema_21, ema_50, vwap       | close / level − 1             | distance of price from the level      |
 * | bollinger_upper, bollinger_lower   | close / band − 1              | same, ≤ 0 below the upper band etc.   |
 * | atr_value                          | atr / close                   | range as a fraction of price          |
 * | macd_line, macd_signal             | value / close                 | EMA differences as a fraction of price|
 * | adx_value, rsi_value, stoch_k,     | value / 100                   | oscillators scaled to [0, 1]          |
 * | stoch_d, mfi_value                 |                               |                                       |
 * | volume_ma                          | volume / volume_ma (1 if 0/0) | this candle's volume vs its average   |
 * | price_change_pct, volatility       | as is                         | already stationary (percent, σ of log returns) |
 *
 * A raw value that is null/NaN (warming up) transforms to NaN. After the transform, a FeaturePipeline
 * (pipeline.ts) selects the model's columns, z-scores them and multiplies by the weight snapshot.
 */
import {
  INDICATOR_COLUMNS,
  isIndicatorColumn,
  type IndicatorColumn,
  type IndicatorValues,
} from '../domain/indicators.ts';
import { FeatureSpecError } from './errors.ts';
import type { Bar } from './indicators/indicator.ts';
import { COLUMN_DEFINITIONS, type TransformKind } from './indicators/registry.ts';

export const COLUMN_COUNT = INDICATOR_COLUMNS.length;

/** Each column's transform, from the indicator registry (the table above is its summary). */
const TRANSFORM = Object.fromEntries(COLUMN_DEFINITIONS.map((d) => [d.column, d.transform])) as Record<IndicatorColumn, TransformKind>;

/** The candle fields the transforms read. */
export type TransformCandle = Pick<Bar, 'close' | 'volume'>;

/** Transform one raw indicator value of `column` given the candle it was computed on. */
export function transformValue(column: IndicatorColumn, raw: number | null, candle: TransformCandle): number {
  if (raw === null || raw !== raw) return NaN;
  const close = candle.close;
  switch (TRANSFORM[column]) {
    case 'distance':
      return close / raw - 1;
    case 'per_close':
      return raw / close;
    case 'oscillator':
      return raw / 100;
    case 'volume_ratio':
      // A zero average means the last 20 volumes were all zero, this one included: "as usual".
      return raw === 0 ? 1 : candle.volume / raw;
    case 'as_is':
      return raw;
  }
}

/**
 * Transform all 17 raw values (domain/indicators.ts order, NaN = warming up, as IndicatorSet.raw) into
 * `out[offset .. offset + 17)`. Allocation-free; the live path writes straight into its ring.
 */
export function transformRaw(
  raw: ArrayLike<number>,
  candle: TransformCandle,
  out: Float32Array | Float64Array,
  offset = 0,
): void {
  for (let i = 0; i < COLUMN_COUNT; i++) out[offset + i] = transformValue(INDICATOR_COLUMNS[i]!, raw[i]!, candle);
}

/** The transformed values of `features` (any subset, returned in domain/indicators.ts order) for one candle. */
export function transformFeatures(
  features: readonly IndicatorColumn[],
  values: IndicatorValues,
  candle: TransformCandle,
): Float64Array {
  const cols = selectFeatures(features);
  const out = new Float64Array(cols.length);
  for (let j = 0; j < cols.length; j++) out[j] = transformValue(cols[j]!, values[cols[j]!], candle);
  return out;
}

/**
 * Validate a feature list (e.g. FEATURES, or a model's metadata) and return it in domain/indicators.ts order.
 * Unknown names, duplicates and an empty list are FeatureSpecErrors.
 */
export function selectFeatures(features: readonly string[]): IndicatorColumn[] {
  if (features.length === 0) throw new FeatureSpecError('the feature list is empty; name at least one of the 17 columns');
  const unknown = features.filter((f) => !isIndicatorColumn(f));
  if (unknown.length > 0) {
    throw new FeatureSpecError(`unknown feature column(s) ${unknown.join(', ')}; valid: ${INDICATOR_COLUMNS.join(', ')}`, { unknown });
  }
  if (new Set(features).size !== features.length) throw new FeatureSpecError(`feature list names a column twice: ${features.join(',')}`);
  return INDICATOR_COLUMNS.filter((c) => features.includes(c));
}

/** Positions of `features` (already in domain/indicators.ts order) among the 17 columns. */
export function featureIndices(features: readonly IndicatorColumn[]): Int32Array {
  return Int32Array.from(features, (f) => INDICATOR_COLUMNS.indexOf(f));
}
