/**
 * The Store port: everything the engine persists or reads back. Engine code depends on this
 * interface only; adapters (embedded PGlite, Postgres, Supabase REST) implement it with the same SQL.
 *
 * Every multi-row write is one round trip and idempotent on its natural key, so a write replayed
 * by the outbox after a crash never duplicates a row.
 */
import type { Candle } from '../domain/candle.ts';
import type { IndicatorWeight } from '../domain/indicators.ts';
import type { OutcomeRecord, PredictionRecord } from '../domain/prediction.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { BacktestRecord, NewBacktest, ScorecardQuery, ScorecardRow } from './queries/quality.ts';
import type { RetentionQuery, RetentionResult } from './queries/retention.ts';
import type {
  ApiKeyInfo,
  ApiKeyValidation,
  ArtifactRecord,
  CandleSeriesInfo,
  CreatedApiKey,
  DriftRecord,
  GenerationLogRecord,
  ModelPatch,
  ModelRecord,
  NewApiKey,
  NewModel,
  PerformanceRecord,
  PredictionQuery,
  RetrainRequest,
  RetrainSource,
  TrainingSampleRecord,
} from './types.ts';

export interface CandleRangeQuery {
  symbol: string;
  timeframe: Timeframe;
  /** Inclusive lower bound on open time (ms). */
  from?: number;
  /** Inclusive upper bound on open time (ms). */
  to?: number;
  /** With `latest: true`, the newest `limit` candles (still returned oldest first). */
  limit?: number;
  latest?: boolean;
}

/** A held leadership lease; `lost` resolves if the underlying session dies. */
export interface LeaderLease {
  readonly lost: Promise<void>;
  release(): Promise<void>;
}

export interface StoreInfo {
  kind: 'embedded' | 'postgres' | 'supabase';
  /** Where it lives, with no secret: a path, or host:port/database. */
  location: string;
  schema: string;
  serverVersion: string | null;
  /** Whether advisory-lock leadership is real (false: single-leader fallback). */
  supportsLeadership: boolean;
}

/**
 * Where model artifacts live when not in the ml_model_artifacts table (Supabase Storage:
 * store/supabase/storage.ts). An adapter given one answers putArtifacts/getArtifacts with it.
 */
export interface ArtifactStore {
  /** Replaces the version's artifacts (a replay stores the same bytes again). */
  put(rows: readonly ArtifactRecord[]): Promise<void>;
  /** The version's artifacts by name; [] when it has none. */
  get(version: string): Promise<ArtifactRecord[]>;
}

export interface Store {
  readonly info: StoreInfo;

  /** Cheap round trip; throws StoreError naming the host (never the password) when unreachable. */
  ping(): Promise<void>;
  close(): Promise<void>;

  // Candles
  upsertCandles(candles: readonly Candle[]): Promise<number>;
  readCandles(q: CandleRangeQuery): Promise<Candle[]>;
  listCandleSeries(): Promise<CandleSeriesInfo[]>;
  /** Deletes candles older than the cutoff (open time, ms); returns how many. */
  pruneCandles(olderThan: number): Promise<number>;
  /**
   * One bounded step of the prediction/sample/drift/log retention (PREDICTION_RETENTION_DAYS),
   * with the monthly partitions and the daily rollup kept up; call again while `more`.
   */
  retentionStep(q: RetentionQuery): Promise<RetentionResult>;
  /** Rolling live rows of ml_model_performance (evaluation 'live_7d', 'live_30d'); returns rows written. */
  refreshLivePerformance(): Promise<number>;

  // Predictions (signals) and their outcomes
  insertPredictions(rows: readonly PredictionRecord[]): Promise<number>;
  resolvePredictions(outcomes: readonly OutcomeRecord[]): Promise<number>;
  readPredictions(q: PredictionQuery): Promise<PredictionRecord[]>;
  getPrediction(id: string): Promise<PredictionRecord | null>;
  /**
   * Signals with no outcome yet (HOLD included: it resolves to NO_TRADE), oldest first, for the
   * outcome tracker after a restart.
   */
  openPredictions(): Promise<PredictionRecord[]>;

  insertTrainingSamples(rows: readonly TrainingSampleRecord[]): Promise<number>;
  countTrainingSamples(): Promise<number>;

  // Models, artifacts, registry
  createModel(m: NewModel): Promise<ModelRecord>;
  updateModel(version: string, patch: ModelPatch): Promise<ModelRecord>;
  getModel(version: string): Promise<ModelRecord | null>;
  listModels(): Promise<ModelRecord[]>;
  activeModel(): Promise<ModelRecord | null>;
  /** Makes `version` the one active model and retires the previous one, atomically. */
  activateModel(version: string): Promise<ModelRecord>;
  putArtifacts(rows: readonly ArtifactRecord[]): Promise<void>;
  getArtifacts(version: string): Promise<ArtifactRecord[]>;

  // Indicator weights and performance
  getWeights(): Promise<IndicatorWeight[]>;
  setWeights(weights: Record<string, number>): Promise<IndicatorWeight[]>;
  insertPerformance(row: PerformanceRecord): Promise<void>;

  // Drift
  insertDrift(row: DriftRecord): Promise<string>;
  listDrift(limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]>;

  // Retrain queue: every source files here; the leader claims and finishes.
  enqueueRetrain(r: { source: RetrainSource; reason?: string | null; force?: boolean }): Promise<RetrainRequest>;
  /** Claims the oldest PENDING request (SKIP LOCKED), marking it RUNNING by `worker`. */
  claimRetrain(worker: string): Promise<RetrainRequest | null>;
  finishRetrain(
    id: string,
    result: { status: 'DONE' | 'FAILED' | 'SKIPPED'; modelVersion?: string | null; error?: string | null },
  ): Promise<RetrainRequest>;
  getRetrain(id: string): Promise<RetrainRequest | null>;
  listRetrains(limit: number): Promise<RetrainRequest[]>;

  // API keys: only hashes are stored.
  createApiKey(k: NewApiKey): Promise<CreatedApiKey>;
  validateApiKey(key: string): Promise<ApiKeyValidation>;
  revokeApiKey(id: string): Promise<boolean>;
  listApiKeys(): Promise<ApiKeyInfo[]>;
  /** Reserves up to `want` requests of a key's hourly `limit` in the UTC hour of atMs; returns how many were granted. */
  reserveKeyUsage(keyId: string, atMs: number, want: number, limit: number): Promise<number>;
  /** Writes a row of ml_settings (e.g. self_service_max_rate_limit, read by create_ml_api_key). */
  putSetting(name: string, value: unknown): Promise<void>;

  insertGenerationLog(row: GenerationLogRecord): Promise<void>;

  /** The row of get_ml_dashboard_data(). */
  dashboard(): Promise<Record<string, unknown>>;

  /** The live scorecard: rows of get_signal_scorecard(). */
  scorecard(q?: ScorecardQuery): Promise<ScorecardRow[]>;
  /** Records a backtest result (ml_backtests); returns its id. */
  insertBacktest(b: NewBacktest): Promise<string>;
  /** The newest `limit` recorded backtests, newest first. */
  listBacktests(limit: number): Promise<BacktestRecord[]>;

  /**
   * Tries to become the leader for `name` (retrains, drift checks). Postgres: a session advisory
   * lock on a dedicated connection. Embedded: the process already owns the store, so always granted.
   * Returns null when another instance holds it.
   */
  tryAcquireLeadership(name: string): Promise<LeaderLease | null>;
}
