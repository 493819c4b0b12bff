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
import { namesFor, type Ctx } from './queries/common.ts';
import * as drift from './queries/drift.ts';
import * as models from './queries/models.ts';
import * as predictions from './queries/predictions.ts';
import * as retrain from './queries/retrain.ts';
import * as samples from './queries/samples.ts';
import * as weights from './queries/weights.ts';
import { SqlRpc } from './rpc.ts';
import { RpcStore } from './rpc-store.ts';
import type { SqlClient } from './sql-client.ts';
import type { ArtifactStore, CandleRangeQuery, Store, StoreInfo } from './store.ts';
import type {
  ApiKeyInfo,
  ArtifactRecord,
  DriftRecord,
  ModelRecord,
  PredictionQuery,
  RetrainRequest,
  TrainingSampleRecord,
} from './types.ts';

export interface SqlStoreOptions {
  schema: string;
  leadership: Leadership;
  serverVersion: string | null;
  /** Where model artifacts go instead of the ml_model_artifacts table (openStore: Supabase Storage). */
  artifacts?: ArtifactStore;
}

export class SqlStore extends RpcStore implements Store {
  readonly info: StoreInfo;
  /** The SQL seam, for the migration runner and doctor; engine code uses the port's methods. */
  readonly client: SqlClient;
  protected readonly ctx: Ctx;
  protected readonly leadership: Leadership;
  private closing: Promise<void> | null = null;

  constructor(client: SqlClient, opts: SqlStoreOptions) {
    super(opts.artifacts ?? null);
    this.client = client;
    this.ctx = { db: client, n: namesFor(opts.schema), rpc: new SqlRpc(client, opts.schema) };
    this.leadership = opts.leadership;
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

  getModel(version: string): Promise<ModelRecord | null> {
    return models.getModel(this.ctx, version);
  }
  listModels(): Promise<ModelRecord[]> {
    return models.listModels(this.ctx);
  }
  activeModel(): Promise<ModelRecord | null> {
    return models.activeModel(this.ctx);
  }
  /** A plain SELECT over the connection (a trivial read; Supabase goes through the RPC). */
  override getArtifacts(version: string): Promise<ArtifactRecord[]> {
    return this.artifacts ? this.artifacts.get(version) : models.getArtifacts(this.ctx, version);
  }

  getWeights(): Promise<IndicatorWeight[]> {
    return weights.getWeights(this.ctx);
  }
  async setWeights(w: Record<string, number>): Promise<IndicatorWeight[]> {
    await weights.setWeights(this.ctx, w);
    return weights.getWeights(this.ctx);
  }

  listDrift(limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]> {
    return drift.listDrift(this.ctx, limit);
  }

  getRetrain(id: string): Promise<RetrainRequest | null> {
    return retrain.getRetrain(this.ctx, id);
  }
  listRetrains(limit: number): Promise<RetrainRequest[]> {
    return retrain.listRetrains(this.ctx, limit);
  }

  listApiKeys(): Promise<ApiKeyInfo[]> {
    return apiKeys.listApiKeys(this.ctx);
  }


}
