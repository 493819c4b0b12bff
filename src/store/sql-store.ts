/**
 * The Store port over one SqlClient: the same SQL for embedded PGlite and server Postgres. Each
 * concern's queries live in queries/<concern>.ts; this class only wires them to the port. Writes
 * and non-trivial reads call the SQL functions of sql/20261122001000_store_rpc.sql (through
 * SqlRpc), the same ones the Supabase REST store calls; trivial reads are plain SELECTs.
 */
import type { Candle } from '../domain/candle.ts';
import type { IndicatorWeight } from '../domain/indicators.ts';
import type { OutcomeRecord, PredictionRecord } from '../domain/prediction.ts';
import type { Leadership } from './leadership.ts';
import * as apiKeys from './queries/api-keys.ts';
import * as candles from './queries/candles.ts';
import * as retention from './queries/retention.ts';
import type { RetentionQuery, RetentionResult } from './queries/retention.ts';
import { namesFor, type Ctx } from './queries/common.ts';
import * as drift from './queries/drift.ts';
import * as logs from './queries/logs.ts';
import * as quality from './queries/quality.ts';
import type { NewBacktest, ScorecardQuery, ScorecardRow } from './queries/quality.ts';
import * as models from './queries/models.ts';
import * as predictions from './queries/predictions.ts';
import * as retrain from './queries/retrain.ts';
import * as samples from './queries/samples.ts';
import * as weights from './queries/weights.ts';
import { SqlRpc } from './rpc.ts';
import type { SqlClient } from './sql-client.ts';
import type { ArtifactStore, CandleRangeQuery, LeaderLease, Store, StoreInfo } from './store.ts';
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

export interface SqlStoreOptions {
  schema: string;
  leadership: Leadership;
  serverVersion: string | null;
  /** Where model artifacts go instead of the ml_model_artifacts table (openStore: Supabase Storage). */
  artifacts?: ArtifactStore;
}

export class SqlStore implements Store {
  readonly info: StoreInfo;
  /** The SQL seam, for the migration runner and doctor; engine code uses the port's methods. */
  readonly client: SqlClient;
  private readonly ctx: Ctx;
  private readonly leadership: Leadership;
  private readonly artifacts: ArtifactStore | null;
  private closing: Promise<void> | null = null;

  constructor(client: SqlClient, opts: SqlStoreOptions) {
    this.client = client;
    this.ctx = { db: client, n: namesFor(opts.schema), rpc: new SqlRpc(client, opts.schema) };
    this.leadership = opts.leadership;
    this.artifacts = opts.artifacts ?? null;
    this.info = {
      kind: client.kind,
      location: client.location,
      schema: opts.schema,
      serverVersion: opts.serverVersion,
      supportsLeadership: client.kind === 'postgres',
    };
  }

  async ping(): Promise<void> {
    await this.client.query('SELECT 1');
  }

  /** Releases leadership leases, then the connections. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        await this.leadership.close();
      } finally {
        await this.client.close();
      }
    })();
    return this.closing;
  }

  upsertCandles(rows: readonly Candle[]): Promise<number> {
    return candles.upsertCandles(this.ctx, rows);
  }
  readCandles(q: CandleRangeQuery): Promise<Candle[]> {
    return candles.readCandles(this.ctx, q);
  }
  listCandleSeries(): Promise<CandleSeriesInfo[]> {
    return candles.listCandleSeries(this.ctx);
  }
  pruneCandles(olderThan: number): Promise<number> {
    return candles.pruneCandles(this.ctx, olderThan);
  }
  retentionStep(q: RetentionQuery): Promise<RetentionResult> {
    return retention.retentionStep(this.ctx, q);
  }
  refreshLivePerformance(): Promise<number> {
    return retention.refreshLivePerformance(this.ctx);
  }

  insertPredictions(rows: readonly PredictionRecord[]): Promise<number> {
    return predictions.insertPredictions(this.ctx, rows);
  }
  resolvePredictions(outcomes: readonly OutcomeRecord[]): Promise<number> {
    return predictions.resolvePredictions(this.ctx, outcomes);
  }
  readPredictions(q: PredictionQuery): Promise<PredictionRecord[]> {
    return predictions.readPredictions(this.ctx, q);
  }
  getPrediction(id: string): Promise<PredictionRecord | null> {
    return predictions.getPrediction(this.ctx, id);
  }
  openPredictions(): Promise<PredictionRecord[]> {
    return predictions.openPredictions(this.ctx);
  }

  insertTrainingSamples(rows: readonly TrainingSampleRecord[]): Promise<number> {
    return samples.insertTrainingSamples(this.ctx, rows);
  }
  countTrainingSamples(): Promise<number> {
    return samples.countTrainingSamples(this.ctx);
  }

  createModel(m: NewModel): Promise<ModelRecord> {
    return models.createModel(this.ctx, m);
  }
  updateModel(version: string, patch: ModelPatch): Promise<ModelRecord> {
    return models.updateModel(this.ctx, version, patch);
  }
  getModel(version: string): Promise<ModelRecord | null> {
    return models.getModel(this.ctx, version);
  }
  listModels(): Promise<ModelRecord[]> {
    return models.listModels(this.ctx);
  }
  activeModel(): Promise<ModelRecord | null> {
    return models.activeModel(this.ctx);
  }
  activateModel(version: string): Promise<ModelRecord> {
    return models.activateModel(this.ctx, version);
  }
  putArtifacts(rows: readonly ArtifactRecord[]): Promise<void> {
    return this.artifacts ? this.artifacts.put(rows) : models.putArtifacts(this.ctx, rows);
  }
  getArtifacts(version: string): Promise<ArtifactRecord[]> {
    return this.artifacts ? this.artifacts.get(version) : models.getArtifacts(this.ctx, version);
  }

  getWeights(): Promise<IndicatorWeight[]> {
    return weights.getWeights(this.ctx);
  }
  async setWeights(w: Record<string, number>): Promise<IndicatorWeight[]> {
    await weights.setWeights(this.ctx, w);
    return weights.getWeights(this.ctx);
  }
  insertPerformance(row: PerformanceRecord): Promise<void> {
    return weights.insertPerformance(this.ctx, row);
  }

  insertDrift(row: DriftRecord): Promise<string> {
    return drift.insertDrift(this.ctx, row);
  }
  listDrift(limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]> {
    return drift.listDrift(this.ctx, limit);
  }

  enqueueRetrain(r: { source: RetrainSource; reason?: string | null; force?: boolean }): Promise<RetrainRequest> {
    return retrain.enqueueRetrain(this.ctx, r);
  }
  claimRetrain(worker: string): Promise<RetrainRequest | null> {
    return retrain.claimRetrain(this.ctx, worker);
  }
  finishRetrain(
    id: string,
    result: { status: 'DONE' | 'FAILED' | 'SKIPPED'; modelVersion?: string | null; error?: string | null },
  ): Promise<RetrainRequest> {
    return retrain.finishRetrain(this.ctx, id, result);
  }
  getRetrain(id: string): Promise<RetrainRequest | null> {
    return retrain.getRetrain(this.ctx, id);
  }
  listRetrains(limit: number): Promise<RetrainRequest[]> {
    return retrain.listRetrains(this.ctx, limit);
  }

  createApiKey(k: NewApiKey): Promise<CreatedApiKey> {
    return apiKeys.createApiKey(this.ctx, k);
  }
  validateApiKey(key: string): Promise<ApiKeyValidation> {
    return apiKeys.validateApiKey(this.ctx, key);
  }
  reserveKeyUsage(keyId: string, atMs: number, want: number, limit: number): Promise<number> {
    return apiKeys.reserveKeyUsage(this.ctx, keyId, atMs, want, limit);
  }
  putSetting(name: string, value: unknown): Promise<void> {
    return apiKeys.putSetting(this.ctx, name, value);
  }
  revokeApiKey(id: string): Promise<boolean> {
    return apiKeys.revokeApiKey(this.ctx, id);
  }
  listApiKeys(): Promise<ApiKeyInfo[]> {
    return apiKeys.listApiKeys(this.ctx);
  }

  insertGenerationLog(row: GenerationLogRecord): Promise<void> {
    return logs.insertGenerationLog(this.ctx, row);
  }
  dashboard(): Promise<Record<string, unknown>> {
    return logs.dashboard(this.ctx);
  }

  scorecard(q?: ScorecardQuery): Promise<ScorecardRow[]> {
    return quality.scorecard(this.ctx, q);
  }

  insertBacktest(b: NewBacktest): Promise<string> {
    return quality.insertBacktest(this.ctx, b);
  }

  tryAcquireLeadership(name: string): Promise<LeaderLease | null> {
    return this.leadership.tryAcquire(name);
  }
}
