/**
 * Domain records the Store reads and writes. Times are epoch milliseconds in the engine and
 * `timestamptz` in SQL; adapters convert at the edge. Numeric columns come back as JS numbers.
 */
import type { IndicatorValues } from '../domain/indicators.ts';
import type { Direction, Outcome, PredictionCursor } from '../domain/prediction.ts';
import type { Timeframe } from '../domain/timeframe.ts';

export interface PredictionQuery {
  /** Only rows strictly after this cursor in stream order. */
  after?: PredictionCursor;
  /** Only rows whose candle_time is strictly after this instant. */
  afterTime?: number;
  symbols?: string[];
  /** At most this many rows (default 1000); page on with `after`. */
  limit?: number;
}

export interface TrainingSampleRecord {
  predictionId: string;
  symbol: string;
  timeframe: Timeframe;
  candleTime: number;
  signalType: Direction;
  entryPrice: number;
  stopLoss: number | null;
  takeProfit: number | null;
  exitPrice: number | null;
  profitLoss: number | null;
  performanceScore: number | null;
  indicators: IndicatorValues;
  marketSession?: string | null;
  trendDirection?: string | null;
  volatilityRegime?: string | null;
  modelVersionUsed: string;
  predictionConfidence: number;
  actualResult: Outcome;
  status: Outcome;
  tradeDurationMinutes: number | null;
  maxProfit: number | null;
  maxLoss: number | null;
  riskRewardRatio: number | null;
}

export type ModelStatus = 'training' | 'trained' | 'active' | 'rejected' | 'failed' | 'retired';

/** Test-set figures (DESIGN.md "Models"). Ratios are unbounded doubles. */
export interface ModelMetrics {
  accuracy: number;
  precisionBuy: number;
  precisionSell: number;
  recallBuy: number;
  recallSell: number;
  f1Macro: number;
  winRate: number;
  avgProfitPerTrade: number;
  profitFactor: number;
  maxDrawdown: number;
  sharpe: number;
  sortino: number;
  calmar: number;
  trades: number;
}

export interface ModelRecord {
  id: string;
  version: string;
  modelType: string;
  status: ModelStatus;
  isActive: boolean;
  metadata: Record<string, unknown>;
  metrics: ModelMetrics | null;
  trainingSamplesCount: number;
  validationSamplesCount: number;
  featureImportance: Record<string, number> | null;
  trainingDurationMs: number | null;
  statusReason: string | null;
  seed: number | null;
  backend: string | null;
  weightsSha256: string | null;
  createdAt: number;
  updatedAt: number;
  activatedAt: number | null;
}

export interface NewModel {
  version: string;
  modelType?: string;
  metadata?: Record<string, unknown>;
  seed?: number | null;
  backend?: string | null;
}

export type ModelPatch = Partial<
  Pick<
    ModelRecord,
    | 'status'
    | 'metadata'
    | 'metrics'
    | 'trainingSamplesCount'
    | 'validationSamplesCount'
    | 'featureImportance'
    | 'trainingDurationMs'
    | 'statusReason'
    | 'backend'
    | 'weightsSha256'
  >
>;

export interface ArtifactRecord {
  modelVersion: string;
  name: string; // 'model.json', 'weights.bin', 'metadata.json'
  contentType: string;
  bytes: Uint8Array;
  sha256: string;
}

export interface PerformanceRecord {
  modelVersion: string;
  trainingSamplesCount: number;
  validationSamplesCount: number;
  metrics: ModelMetrics;
  previousWeights?: Record<string, number> | null;
  newWeights?: Record<string, number> | null;
  weightChanges?: Record<string, number> | null;
  featureImportance?: Record<string, number> | null;
  trainingDurationMinutes?: number | null;
  convergenceEpoch?: number | null;
  bestEpoch?: number | null;
  /** 'test' for the model itself; 'baseline_hold' and 'baseline_rules' for the comparisons. */
  evaluation?: string;
}

export interface DriftRecord {
  modelVersion: string;
  dataDriftScore: number | null;
  predictionDriftScore: number | null;
  performanceDriftScore: number | null;
  overallDriftScore: number | null;
  featureDriftDetails: Record<string, unknown>;
  driftDetected: boolean;
  actionTaken: string;
  retrainingTriggered: boolean;
  thresholds: Record<string, number>;
  status: 'ok' | 'drift' | 'insufficient_data' | 'no_reference';
  createdAt?: number;
}

export type RetrainSource = 'cron' | 'cli' | 'api' | 'flag' | 'drift' | 'operator';
export type RetrainStatus = 'PENDING' | 'RUNNING' | 'DONE' | 'FAILED' | 'SKIPPED';

export interface RetrainRequest {
  id: string;
  source: RetrainSource;
  reason: string | null;
  force: boolean;
  status: RetrainStatus;
  claimedBy: string | null;
  modelVersion: string | null;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
}

export type ApiKeyType = 'stream' | 'prediction' | 'admin';

export interface NewApiKey {
  name: string;
  type: ApiKeyType;
  rateLimitPerHour?: number;
  expiresInDays?: number | null;
  createdBy?: string | null;
}

/** Returned once, at creation: the only time the plain key exists outside its holder. */
export interface CreatedApiKey {
  id: string;
  key: string;
  name: string;
  type: ApiKeyType;
  rateLimitPerHour: number;
  expiresAt: number | null;
}

export interface ApiKeyInfo {
  id: string;
  name: string;
  type: ApiKeyType;
  rateLimitPerHour: number;
  isActive: boolean;
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  usageCount: number;
  prefix: string;
}

export interface ApiKeyValidation {
  isValid: boolean;
  keyId: string | null;
  keyName: string | null;
  keyType: ApiKeyType | null;
  rateLimit: number | null;
  usageCount: number | null;
}

export interface GenerationLogRecord {
  batchId: string;
  generationStrategy: string;
  symbolsCount: number;
  signalsPerSymbol?: number;
  totalSignalsGenerated: number;
  avgConfidence?: number | null;
  confidenceDistribution?: Record<string, number> | null;
  signalDistribution?: Record<string, number> | null;
  processingTimeMs?: number | null;
  successRate?: number | null;
  errorCount?: number;
  status: string;
  errorDetails?: Record<string, unknown> | null;
  completedAt?: number | null;
}

export interface CandleSeriesInfo {
  symbol: string;
  timeframe: Timeframe;
  count: number;
  firstOpenTime: number;
  lastOpenTime: number;
}
