/**
 * What turns transformed indicator rows into model input, and travels with a model: the feature
 * subset (domain/indicators.ts order), the training-set scaler and the weight snapshot taken at training.
 * A weight changed later in ml_indicator_weights therefore reaches a model only through its next
 * training, never silently under a running one.
 *
 *   model input[j] = ((transformed[features[j]] − mean[j]) / σ[j]) · weight[features[j]]
 *
 * Training and live inference both call `encodeRow`, on the same Float32 transformed rows.
 */
import { z } from 'zod';
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../domain/indicators.ts';
import { FeatureSpecError } from './errors.ts';
import { Scaler, type ScalerJson } from './scaler.ts';
import { featureIndices, selectFeatures } from './transforms.ts';
import type { IndicatorWeights } from './weights.ts';

export interface FeaturePipelineJson {
  features: IndicatorColumn[];
  scaler: ScalerJson;
  /** Weight snapshot per used feature. */
  weights: Partial<Record<IndicatorColumn, number>>;
}

const weightsSchema = z.record(z.string(), z.number());

export class FeaturePipeline {
  readonly features: readonly IndicatorColumn[];
  /** Positions of the features among the 17 transformed columns. */
  readonly indices: Int32Array;
  /** Weight per feature, in feature order. */
  readonly weights: Float64Array;

  constructor(
    readonly scaler: Scaler,
    weights: Partial<IndicatorWeights>,
  ) {
    this.features = scaler.features;
    this.indices = featureIndices(this.features);
    this.weights = Float64Array.from(this.features, (f) => {
      const w = weights[f];
      if (w === undefined || !Number.isFinite(w) || w < 0) {
        throw new FeatureSpecError(`weight snapshot lacks a finite non-negative weight for ${f}`, { feature: f, weight: w });
      }
      return w;
    });
  }

  get width(): number {
    return this.features.length;
  }

  /**
   * Encode one transformed row (17 values in domain/indicators.ts order starting at `srcOffset`) into
   * `out[outOffset .. outOffset + width)`.
   */
  encodeRow(src: ArrayLike<number>, srcOffset: number, out: Float32Array | Float64Array, outOffset: number): void {
    const idx = this.indices;
    const mean = this.scaler.mean;
    const std = this.scaler.std;
    const w = this.weights;
    for (let j = 0; j < idx.length; j++) {
      out[outOffset + j] = ((src[srcOffset + idx[j]!]! - mean[j]!) / std[j]!) * w[j]!;
    }
  }

  /**
   * Encode `rows` consecutive transformed rows of a row-major N×17 matrix, starting at row `first`,
   * into a rows×width block (oldest first): the training-side twin of SymbolFeatureState.window.
   */
  encodeRows(matrix: Float32Array, first: number, rows: number, out = new Float32Array(rows * this.width), outOffset = 0): Float32Array {
    const cols = INDICATOR_COLUMNS.length;
    for (let r = 0; r < rows; r++) this.encodeRow(matrix, (first + r) * cols, out, outOffset + r * this.width);
    return out;
  }

  toJSON(): FeaturePipelineJson {
    const weights: Partial<Record<IndicatorColumn, number>> = {};
    this.features.forEach((f, j) => (weights[f] = this.weights[j]!));
    return { features: [...this.features], scaler: this.scaler.toJSON(), weights };
  }

  static fromJSON(json: unknown): FeaturePipeline {
    const shape = z.object({ features: z.array(z.string()), scaler: z.unknown(), weights: weightsSchema }).safeParse(json);
    if (!shape.success) throw new FeatureSpecError(`invalid feature pipeline: ${shape.error.issues[0]?.message ?? 'bad shape'}`);
    const features = selectFeatures(shape.data.features);
    const scaler = Scaler.fromJSON(shape.data.scaler);
    if (scaler.features.join() !== features.join()) {
      throw new FeatureSpecError(`scaler features (${scaler.features.join(',')}) differ from the pipeline's (${features.join(',')})`);
    }
    return new FeaturePipeline(scaler, shape.data.weights as Partial<IndicatorWeights>);
  }
}
