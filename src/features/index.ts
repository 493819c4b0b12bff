/**
 * The features engine: 17 streaming indicators per symbol, the stationary transforms and feature
 * pipeline the model reads, the weights, the rule consensus and the technical summary.
 * Depends on nothing outside the engine (no ws, pg, PGlite or supabase-js).
 */
export {
  INDICATOR_COLUMNS,
  isIndicatorColumn,
  type IndicatorColumn,
  type IndicatorValues,
} from '../domain/indicators.ts';
export { IndicatorSet, rawToValues, valuesToRaw } from './indicator-set.ts';
export type { Bar, StreamingIndicator } from './indicators/indicator.ts';
export { COLUMN_DEFINITIONS, type ColumnDefinition, type ColumnStream } from './indicators/registry.ts';
export { CandleOrderError, FeatureSpecError } from './errors.ts';
export { transformValue, transformRaw, transformFeatures, selectFeatures, featureIndices, type TransformCandle } from './transforms.ts';
export { Scaler, MIN_STD, type ScalerJson } from './scaler.ts';
export { FeaturePipeline, type FeaturePipelineJson } from './pipeline.ts';
export { buildFeatureMatrix, type FeatureMatrix } from './matrix.ts';
export { SymbolFeatureState, DEFAULT_WINDOW, type SymbolFeatureStateOptions } from './symbol-state.ts';
export {
  consensus,
  indicatorVotes,
  DEFAULT_BUY_THRESHOLD,
  DEFAULT_SELL_THRESHOLD,
  type ConsensusOptions,
  type ConsensusResult,
} from './consensus.ts';
export { technicalSummary, type TechnicalSummary, type SummaryContext } from './summary.ts';
export {
  weightsFromRecords,
  uniformWeights,
  stepWeightsTowardImportance,
  INDICATOR_CATEGORY,
  DEFAULT_WEIGHT,
  type IndicatorWeights,
  type WeightUpdate,
} from './weights.ts';
