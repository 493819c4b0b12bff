/**
 * Per-feature z-scoring with statistics fitted on a training set. The scaler travels with the model
 * (as JSON in its metadata), so live inference uses exactly the training statistics.
 */
import { z } from 'zod';
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../domain/indicators.ts';
import { FeatureSpecError } from './errors.ts';
import { selectFeatures } from './transforms.ts';

/**
 * A standard deviation below this is treated as 1: a (nearly) constant training feature then
 * z-scores to ~0 instead of exploding. Transformed features are O(1e-4) and up, far above it.
 */
export const MIN_STD = 1e-12;

export interface ScalerJson {
  features: IndicatorColumn[];
  mean: number[];
  std: number[];
  /** Rows the statistics were fitted on. */
  count: number;
}

const scalerSchema = z.object({
  features: z.array(z.enum(INDICATOR_COLUMNS)).min(1),
  mean: z.array(z.number()),
  std: z.array(z.number().positive()),
  count: z.number().int().nonnegative(),
});

export class Scaler {
  readonly features: readonly IndicatorColumn[];

  private constructor(
    features: readonly IndicatorColumn[],
    readonly mean: Float64Array,
    readonly std: Float64Array,
    readonly count: number,
  ) {
    this.features = features;
  }

  get width(): number {
    return this.features.length;
  }

  /**
   * Fit mean and population σ per feature (Welford's update: one pass, no cancellation).
   * Each row holds the transformed values of `features`, in domain/indicators.ts order. Rows with a
   * non-finite value are skipped (they are warm-up rows); fitting on no usable row is an error.
   */
  static fit(features: readonly IndicatorColumn[], rows: Iterable<ArrayLike<number>>): Scaler {
    const cols = selectFeatures(features);
    const f = cols.length;
    const mean = new Float64Array(f);
    const m2 = new Float64Array(f);
    let n = 0;
    rowLoop: for (const row of rows) {
      if (row.length !== f) throw new FeatureSpecError(`scaler rows must have ${f} values, got ${row.length}`);
      for (let j = 0; j < f; j++) if (!Number.isFinite(row[j]!)) continue rowLoop;
      n++;
      for (let j = 0; j < f; j++) {
        const x = row[j]!;
        const d = x - mean[j]!;
        mean[j] = mean[j]! + d / n;
        m2[j] = m2[j]! + d * (x - mean[j]!);
      }
    }
    if (n === 0) throw new FeatureSpecError('cannot fit a scaler on zero complete rows');
    const std = m2.map((s) => {
      const sd = Math.sqrt(s / n);
      return sd < MIN_STD ? 1 : sd;
    });
    return new Scaler(cols, mean, std, n);
  }

  /** A scaler that leaves values unchanged (mean 0, σ 1): for tests and the rule-only path. */
  static identity(features: readonly IndicatorColumn[]): Scaler {
    const cols = selectFeatures(features);
    return new Scaler(cols, new Float64Array(cols.length), new Float64Array(cols.length).fill(1), 0);
  }

  static fromJSON(json: unknown): Scaler {
    const parsed = scalerSchema.safeParse(json);
    if (!parsed.success) throw new FeatureSpecError(`invalid scaler: ${parsed.error.issues[0]?.message ?? 'bad shape'}`);
    const { features, mean, std, count } = parsed.data;
    const cols = selectFeatures(features);
    if (cols.join() !== features.join()) throw new FeatureSpecError('scaler features are not in domain/indicators.ts order');
    if (mean.length !== cols.length || std.length !== cols.length) {
      throw new FeatureSpecError(`scaler has ${mean.length} means and ${std.length} σ for ${cols.length} features`);
    }
    if (!mean.every(Number.isFinite) || !std.every(Number.isFinite)) throw new FeatureSpecError('scaler statistics must be finite');
    return new Scaler(cols, Float64Array.from(mean), Float64Array.from(std), count);
  }

  toJSON(): ScalerJson {
    return { features: [...this.features], mean: Array.from(this.mean), std: Array.from(this.std), count: this.count };
  }

  /** z-score one value of feature j. */
  scale(j: number, x: number): number {
    return (x - this.mean[j]!) / this.std[j]!;
  }
}
