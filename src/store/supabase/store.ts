/**
 * The Store port over Supabase's REST API (@supabase/supabase-js → PostgREST), for a deployment that
 * has SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY and no database connection string.
 *
 * - Writes and non-trivial reads are RPCs to the SQL functions of sql/20261122001000_store_rpc.sql,
 *   built and read by the same code as SqlStore's (src/store/queries over the Rpc seam), so the logic
 *   runs identically in every adapter. Trivial reads are GET /rest/v1/<table> with filters.
 * - Batches are cut into calls of at most MAX_ROWS_PER_CALL rows (one request body stays small;
 *   each call is its own transaction), deduplicated on the natural key first, so the result is the
 *   one SqlStore gives for the whole batch. Reads page by MAX_ROWS_PER_READ, Supabase's default
 *   max_rows: PostgREST silently truncates a longer answer.
 * - Transport and retries: client.ts; leadership by lease row: lease.ts; model artifacts: the
 *   ArtifactStore it is given (Supabase Storage, storage.ts), else the ml_model_artifacts table.
 * - Migrations: REST cannot run DDL. At open the applied migrations are compared with sql/; a
 *   schema that is behind is refused with what to run. Applied means in ml_schema_migrations or, by
 *   version, in the Supabase CLI's record (`supabase db push`), both read by sb_applied_migrations().
 */
import type { Candle } from '../../domain/candle.ts';
import type { IndicatorWeight } from '../../domain/indicators.ts';
import type { OutcomeRecord, PredictionRecord } from '../../domain/prediction.ts';
import { StoreError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { Leadership } from '../leadership.ts';
import { assertMigratable, compareMigrations, loadMigrations, type MigrationFile } from '../migrate.ts';
import * as apiKeys from '../queries/api-keys.ts';
import * as candles from '../queries/candles.ts';
import * as retention from '../queries/retention.ts';
import type { RetentionQuery, RetentionResult } from '../queries/retention.ts';
import { dedupeBy, isUuid, type RpcCtx } from '../queries/common.ts';
import * as drift from '../queries/drift.ts';
import * as logs from '../queries/logs.ts';
import * as quality from '../queries/quality.ts';
import type { NewBacktest, ScorecardQuery, ScorecardRow } from '../queries/quality.ts';
import * as models from '../queries/models.ts';
import * as predictions from '../queries/predictions.ts';
import * as retrain from '../queries/retrain.ts';
import * as samples from '../queries/samples.ts';
import * as weights from '../queries/weights.ts';
import type { Row } from '../sql-client.ts';
import type { ArtifactStore, CandleRangeQuery, LeaderLease, Store, StoreInfo } from '../store.ts';
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
} from '../types.ts';
import { DEFAULT_RETRY, serviceRoleClient, SupabaseRest, type RetryPolicy } from './client.ts';
import { LEASE_TTL_MS, LeaseLeadership } from './lease.ts';

/** Rows per write call: a 500-signal batch is ~1 MB of JSON, well under any proxy's body limit. */
export const MAX_ROWS_PER_CALL = 500;
/** Rows per read: Supabase's default PostgREST max_rows; a longer answer would be cut silently. */
export const MAX_ROWS_PER_READ = 1000;

export interface SupabaseStoreOptions {
  url: string;
  serviceRoleKey: string;
  schema: string;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  maxRowsPerCall?: number;
  maxRowsPerRead?: number;
  /** How long a leader lease lasts without renewal; renewed every third of it. */
  leaseTtlMs?: number;
  /** Per-request timeout (no answer in time counts as unreachable, retryable). */
  requestTimeoutMs?: number;
  /** Tests: the sql/ files to compare with (defaults to the repository's). */
  migrations?: MigrationFile[];
  /** Where model artifacts go instead of the ml_model_artifacts table (openStore: Supabase Storage). */
  artifacts?: ArtifactStore;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class SupabaseStore implements Store {
  readonly info: StoreInfo;
  private readonly rest: SupabaseRest;
  private readonly host: string;
  private readonly maxRowsPerCall: number;
  private readonly ctx: RpcCtx;
  private readonly leadership: Leadership;
  private readonly artifacts: ArtifactStore | null;
  private closing: Promise<void> | null = null;

  /** Use openSupabaseStore: it checks the schema and the connection first. */
  constructor(opts: SupabaseStoreOptions) {
    this.host = new URL(opts.url).host;
    this.maxRowsPerCall = opts.maxRowsPerCall ?? MAX_ROWS_PER_CALL;
    const client = serviceRoleClient(opts.url, opts.serviceRoleKey, { schema: opts.schema, timeout: opts.requestTimeoutMs ?? 30_000 });
    this.rest = new SupabaseRest(client, this.host, { ...DEFAULT_RETRY, ...opts.retry }, opts.maxRowsPerRead ?? MAX_ROWS_PER_READ);
    this.ctx = { rpc: this.rest.rpc };
    this.leadership = new LeaseLeadership(this.rest.rpc, opts.leaseTtlMs ?? LEASE_TTL_MS, opts.log);
    this.artifacts = opts.artifacts ?? null;
    this.info = { kind: 'supabase', location: this.host, schema: opts.schema, serverVersion: null, supportsLeadership: true };
  }

  /** Runs `write` on slices of at most maxRowsPerCall rows, in order; sums what each returned. */
  private async chunked<T>(rows: readonly T[], write: (chunk: T[]) => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < rows.length; i += this.maxRowsPerCall) total += await write(rows.slice(i, i + this.maxRowsPerCall));
    return total;
  }

  // --- lifecycle -------------------------------------------------------------------------------

  async ping(): Promise<void> {
    await this.serverVersion();
  }

  /** The database's server_version, through the cheapest RPC there is. */
  serverVersion(): Promise<string> {
    return this.rest.rpcValue<string>('sb_ping');
  }

  /** Releases leases; supabase-js holds no connection to close. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.leadership.close();
    return this.closing;
  }

  /** Refuses a schema behind (or ahead of, or edited from) sql/: REST cannot apply DDL. */
  async checkSchema(files: MigrationFile[] = loadMigrations()): Promise<void> {
    const rows = await this.appliedMigrations();
    const own = new Map(rows.filter((r) => r.source === 'signalbase').map((r) => [r.name, r.checksum!]));
    const cli = new Map(rows.filter((r) => r.source === 'supabase_cli').map((r) => [r.version, r.name]));
    const status = compareMigrations(files, own, cli);
    assertMigratable(status, this.info.schema);
    if (status.pending.length > 0) {
      throw new StoreError(
        'SCHEMA_NOT_MIGRATED',
        `schema "${this.info.schema}" at ${this.host} has ${status.pending.length} pending migration(s) (${status.pending.join(', ')}); ` +
          'the REST store cannot run DDL: apply sql/ with `signalbase migrate` against the database URL (DATABASE_URL=postgres://...) or `supabase db push`',
        { context: { pending: status.pending } },
      );
    }
  }

  /** Both records of applied migrations; before sb_applied_migrations existed, signalbase's only. */
  private async appliedMigrations(): Promise<{ source: string; version: string; name: string; checksum: string | null }[]> {
    try {
      return await this.rest.rpcRows('sb_applied_migrations');
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'SCHEMA_NOT_MIGRATED')) throw err;
      // A schema from before 20261122001100: what pends is then named from the table.
      const rows = await this.rest.select<{ name: string; checksum: string }>('ml_schema_migrations', 'name,checksum');
      return rows.map((r) => ({ source: 'signalbase', version: '', name: r.name, checksum: r.checksum }));
    }
  }

  // --- candles ---------------------------------------------------------------------------------

  upsertCandles(rows: readonly Candle[]): Promise<number> {
    return this.chunked(dedupeBy(rows, candles.candleKey), (c) => candles.upsertCandles(this.ctx, c));
  }

  async readCandles(q: CandleRangeQuery): Promise<Candle[]> {
    const cols = 'symbol,timeframe,open_time,open,high,low,close,volume';
    const limit = q.limit === undefined ? Number.POSITIVE_INFINITY : Math.max(0, Math.floor(q.limit));
    const out: Candle[] = [];
    // Pages walk away from the start (oldest first, or newest first with `latest`) by open time.
    let cursor: number | undefined;
    while (out.length < limit) {
      const want = Math.min(this.rest.maxRowsPerRead, limit - out.length);
      const page = await this.rest.select<candles.CandleRow>('ml_candles', cols, (b) => {
        let s = b.eq('symbol', q.symbol).eq('timeframe', q.timeframe);
        if (q.from !== undefined) s = s.gte('open_time', iso(q.from));
        if (q.to !== undefined) s = s.lte('open_time', iso(q.to));
        if (cursor !== undefined) s = q.latest ? s.lt('open_time', iso(cursor)) : s.gt('open_time', iso(cursor));
        return s.order('open_time', { ascending: !q.latest }).limit(want);
      });
      const got = page.map(candles.toCandle);
      out.push(...got);
      if (got.length < want) break;
      cursor = got[got.length - 1]!.openTime;
    }
    return q.latest ? out.reverse() : out;
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

  // --- predictions -----------------------------------------------------------------------------

  insertPredictions(rows: readonly PredictionRecord[]): Promise<number> {
    return this.chunked(dedupeBy(rows, predictions.predictionKey), (c) => predictions.insertPredictions(this.ctx, c));
  }

  resolvePredictions(outcomes: readonly OutcomeRecord[]): Promise<number> {
    return this.chunked(
      dedupeBy(outcomes, (o) => o.predictionId),
      (c) => predictions.resolvePredictions(this.ctx, c),
    );
  }

  /** Pages of at most maxRowsPerRead through the stream-order cursor. */
  private async pagePredictions(q: PredictionQuery, limit: number, openOnly: boolean): Promise<PredictionRecord[]> {
    const out: PredictionRecord[] = [];
    let after = q.after;
    while (out.length < limit) {
      const want = Math.min(this.rest.maxRowsPerRead, limit - out.length);
      const rows = await this.rest.rpcRows<predictions.PredictionRow>('sb_read_predictions', {
        p_query: predictions.predictionQueryArgs({ ...q, after, limit: want, openOnly }),
      });
      const page = rows.map(predictions.toRecord);
      out.push(...page);
      if (page.length < want) break;
      const last = page[page.length - 1]!;
      after = { candleTime: last.candleTime, symbol: last.symbol, timeframe: last.timeframe, modelVersion: last.modelVersion, id: last.id };
    }
    return out;
  }

  readPredictions(q: PredictionQuery): Promise<PredictionRecord[]> {
    return this.pagePredictions(q, Math.max(0, Math.floor(q.limit ?? predictions.DEFAULT_PREDICTION_PAGE)), false);
  }

  async getPrediction(id: string): Promise<PredictionRecord | null> {
    if (!isUuid(id)) return null;
    const rows = await this.rest.select<predictions.PredictionRow>('ml_predictions', predictions.PREDICTION_COLUMNS, (q) => q.eq('id', id).eq('prediction_type', 'SIGNAL'));
    return rows[0] ? predictions.toRecord(rows[0]) : null;
  }

  openPredictions(): Promise<PredictionRecord[]> {
    return this.pagePredictions({}, Number.POSITIVE_INFINITY, true);
  }

  insertTrainingSamples(rows: readonly TrainingSampleRecord[]): Promise<number> {
    return this.chunked(
      dedupeBy(rows, (s) => s.predictionId),
      (c) => samples.insertTrainingSamples(this.ctx, c),
    );
  }
  countTrainingSamples(): Promise<number> {
    return samples.countTrainingSamples(this.ctx);
  }

  // --- models ----------------------------------------------------------------------------------

  createModel(m: NewModel): Promise<ModelRecord> {
    return models.createModel(this.ctx, m);
  }
  updateModel(version: string, patch: ModelPatch): Promise<ModelRecord> {
    return models.updateModel(this.ctx, version, patch);
  }
  async getModel(version: string): Promise<ModelRecord | null> {
    const rows = await this.rest.select<models.ModelRow>('ml_models', '*', (q) => q.eq('model_version', version));
    return rows[0] ? models.toModel(rows[0]) : null;
  }
  async listModels(): Promise<ModelRecord[]> {
    const rows = await this.rest.selectAll<models.ModelRow>('ml_models', '*', (q) =>
      q.order('created_at', { ascending: false }).order('model_version', { ascending: false }),
    );
    return rows.map(models.toModel);
  }
  async activeModel(): Promise<ModelRecord | null> {
    const rows = await this.rest.select<models.ModelRow>('ml_models', '*', (q) => q.eq('is_active', true));
    return rows[0] ? models.toModel(rows[0]) : null;
  }
  activateModel(version: string): Promise<ModelRecord> {
    return models.activateModel(this.ctx, version);
  }
  putArtifacts(rows: readonly ArtifactRecord[]): Promise<void> {
    return this.artifacts ? this.artifacts.put(rows) : models.putArtifacts(this.ctx, rows);
  }
  getArtifacts(version: string): Promise<ArtifactRecord[]> {
    return this.artifacts ? this.artifacts.get(version) : models.getArtifactsRpc(this.ctx, version);
  }

  // --- weights, performance, drift ---------------------------------------------------------------

  async getWeights(): Promise<IndicatorWeight[]> {
    const rows = await this.rest.select<weights.WeightRow>('ml_indicator_weights', weights.WEIGHT_COLUMNS);
    return weights.sortWeights(rows.map(weights.toWeight));
  }
  async setWeights(w: Record<string, number>): Promise<IndicatorWeight[]> {
    await weights.setWeights(this.ctx, w);
    return this.getWeights();
  }
  insertPerformance(row: PerformanceRecord): Promise<void> {
    return weights.insertPerformance(this.ctx, row);
  }

  insertDrift(row: DriftRecord): Promise<string> {
    return drift.insertDrift(this.ctx, row);
  }
  async listDrift(limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]> {
    const rows = await this.rest.selectAll<Row>(
      'ml_model_drift',
      '*',
      (q) => q.order('drift_date', { ascending: false }).order('created_at', { ascending: false }),
      Math.max(0, Math.floor(limit)),
    );
    return rows.map(drift.toDrift);
  }

  // --- retrain queue ---------------------------------------------------------------------------

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
  async getRetrain(id: string): Promise<RetrainRequest | null> {
    if (!isUuid(id)) return null;
    const rows = await this.rest.select<Row>('ml_retrain_requests', '*', (q) => q.eq('id', id));
    return rows[0] ? retrain.toRequest(rows[0]) : null;
  }
  async listRetrains(limit: number): Promise<RetrainRequest[]> {
    const rows = await this.rest.selectAll<Row>('ml_retrain_requests', '*', (q) => q.order('seq', { ascending: false }), Math.max(0, Math.floor(limit)));
    return rows.map(retrain.toRequest);
  }

  // --- API keys, logs, dashboard ---------------------------------------------------------------

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
  async listApiKeys(): Promise<ApiKeyInfo[]> {
    const rows = await this.rest.selectAll<Row>('ml_api_keys', apiKeys.API_KEY_COLUMNS, (q) =>
      q.order('created_at', { ascending: true }).order('id', { ascending: true }),
    );
    return rows.map(apiKeys.toApiKeyInfo);
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

/**
 * Opens the REST store: checks the applied migrations against sql/, answers a ping (which also
 * gives the server version), and says once that leadership is a lease, not a lock.
 */
export async function openSupabaseStore(opts: SupabaseStoreOptions): Promise<SupabaseStore> {
  const store = new SupabaseStore(opts);
  await store.checkSchema(opts.migrations);
  store.info.serverVersion = await store.serverVersion();
  opts.log.warn(
    { location: store.info.location, leaseTtlMs: opts.leaseTtlMs ?? LEASE_TTL_MS },
    'Supabase REST store: PostgREST has no advisory locks, so leadership is a lease row (ml_leader_leases): one instance leads, another takes over once its lease expires',
  );
  return store;
}
