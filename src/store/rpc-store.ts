/**
 * The Store methods both adapters answer the same way: each is one call of a SQL function of
 * sql/20261122001000_store_rpc.sql through the Rpc seam (SqlRpc over a connection, or PostgREST),
 * built and read by queries/<concern>.ts. SqlStore and SupabaseStore extend this and add what
 * differs: batching, paging, direct reads, leadership, closing.
 */
import * as apiKeys from './queries/api-keys.ts';
import * as candles from './queries/candles.ts';
import type { RpcCtx } from './queries/common.ts';
import * as drift from './queries/drift.ts';
import * as logs from './queries/logs.ts';
import * as models from './queries/models.ts';
import * as quality from './queries/quality.ts';
import type { BacktestRecord, NewBacktest, ScorecardQuery, ScorecardRow } from './queries/quality.ts';
import * as retention from './queries/retention.ts';
import type { RetentionQuery, RetentionResult } from './queries/retention.ts';
import * as retrain from './queries/retrain.ts';
import * as samples from './queries/samples.ts';
import * as weights from './queries/weights.ts';
import type { Leadership } from './leadership.ts';
import type { ArtifactStore, LeaderLease } from './store.ts';
import type * as types from './types.ts';

export abstract class RpcStore {
  protected abstract readonly ctx: RpcCtx;
  protected abstract readonly leadership: Leadership;

  /** `artifacts`: where model artifacts go instead of the ml_model_artifacts table (openStore: Supabase Storage). */
  constructor(protected readonly artifacts: ArtifactStore | null) {}

  listCandleSeries(): Promise<types.CandleSeriesInfo[]> {
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
  countTrainingSamples(): Promise<number> {
    return samples.countTrainingSamples(this.ctx);
  }

  createModel(m: types.NewModel): Promise<types.ModelRecord> {
    return models.createModel(this.ctx, m);
  }
  updateModel(version: string, patch: types.ModelPatch): Promise<types.ModelRecord> {
    return models.updateModel(this.ctx, version, patch);
  }
  activateModel(version: string): Promise<types.ModelRecord> {
    return models.activateModel(this.ctx, version);
  }
  putArtifacts(rows: readonly types.ArtifactRecord[]): Promise<void> {
    return this.artifacts ? this.artifacts.put(rows) : models.putArtifacts(this.ctx, rows);
  }
  getArtifacts(version: string): Promise<types.ArtifactRecord[]> {
    return this.artifacts ? this.artifacts.get(version) : models.getArtifactsRpc(this.ctx, version);
  }

  insertPerformance(row: types.PerformanceRecord): Promise<void> {
    return weights.insertPerformance(this.ctx, row);
  }
  insertDrift(row: types.DriftRecord): Promise<string> {
    return drift.insertDrift(this.ctx, row);
  }

  enqueueRetrain(r: { source: types.RetrainSource; reason?: string | null; force?: boolean }): Promise<types.RetrainRequest> {
    return retrain.enqueueRetrain(this.ctx, r);
  }
  claimRetrain(worker: string): Promise<types.RetrainRequest | null> {
    return retrain.claimRetrain(this.ctx, worker);
  }
  finishRetrain(
    id: string,
    result: { status: 'DONE' | 'FAILED' | 'SKIPPED'; modelVersion?: string | null; error?: string | null },
  ): Promise<types.RetrainRequest> {
    return retrain.finishRetrain(this.ctx, id, result);
  }

  createApiKey(k: types.NewApiKey): Promise<types.CreatedApiKey> {
    return apiKeys.createApiKey(this.ctx, k);
  }
  validateApiKey(key: string): Promise<types.ApiKeyValidation> {
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

  insertGenerationLog(row: types.GenerationLogRecord): Promise<void> {
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
  listBacktests(limit: number): Promise<BacktestRecord[]> {
    return quality.listBacktests(this.ctx, limit);
  }

  tryAcquireLeadership(name: string): Promise<LeaderLease | null> {
    return this.leadership.tryAcquire(name);
  }
}
