/**
 * ml_models and ml_model_artifacts: the registry. Exactly one model is active (a partial unique
 * index); activateModel retires the previous one in the same transaction.
 */
import { StoreError } from '../../errors.ts';
import type { ArtifactRecord, ModelMetrics, ModelPatch, ModelRecord, ModelStatus, NewModel } from '../types.ts';
import { jsonNumber } from '../rpc.ts';
import { numOrNull, strOrNull, toMs, toMsOrNull, type Ctx, type RpcCtx } from './common.ts';

/** ModelMetrics field → ml_models column (ml_model_performance uses the same names but trades_count). */
export const METRIC_COLUMNS: Record<keyof ModelMetrics, string> = {
  accuracy: 'accuracy',
  precisionBuy: 'precision_buy',
  precisionSell: 'precision_sell',
  recallBuy: 'recall_buy',
  recallSell: 'recall_sell',
  f1Macro: 'f1_score',
  winRate: 'overall_win_rate',
  avgProfitPerTrade: 'avg_profit_per_trade',
  profitFactor: 'profit_factor',
  maxDrawdown: 'max_drawdown',
  sharpe: 'sharpe_ratio',
  sortino: 'sortino_ratio',
  calmar: 'calmar_ratio',
  trades: 'test_trades',
};

export type ModelRow = Record<string, unknown>;

/** A metric column as a number; NaN when the report left it out. */
const metric = (v: unknown): number => (v === null || v === undefined ? Number.NaN : Number(v));

export function toModel(r: ModelRow): ModelRecord {
  const metrics =
    r.accuracy === null || r.accuracy === undefined
      ? null
      : (Object.fromEntries(Object.entries(METRIC_COLUMNS).map(([k, col]) => [k, metric(r[col])])) as unknown as ModelMetrics);
  return {
    id: String(r.id),
    version: String(r.model_version),
    modelType: String(r.model_type),
    status: r.model_status as ModelStatus,
    isActive: Boolean(r.is_active),
    metadata: (r.metadata as Record<string, unknown>) ?? {},
    metrics,
    trainingSamplesCount: Number(r.training_samples_count ?? 0),
    validationSamplesCount: Number(r.validation_samples_count ?? 0),
    featureImportance: (r.feature_importance as Record<string, number> | null) ?? null,
    trainingDurationMs: numOrNull(r.training_duration_ms),
    statusReason: strOrNull(r.status_reason),
    seed: numOrNull(r.seed),
    backend: strOrNull(r.backend),
    weightsSha256: strOrNull(r.weights_sha256),
    createdAt: toMs(r.created_at),
    updatedAt: toMs(r.updated_at),
    activatedAt: toMsOrNull(r.activated_at),
  };
}

export async function createModel({ rpc }: RpcCtx, m: NewModel): Promise<ModelRecord> {
  const rows = await rpc.rows<ModelRow>('sb_create_model', {
    p_model: { version: m.version, model_type: m.modelType ?? 'LSTM', metadata: m.metadata ?? {}, seed: m.seed ?? null, backend: m.backend ?? null },
  });
  return toModel(rows[0]!);
}

/** sb_update_model's patch: only the keys the ModelPatch sets, under ml_models' column names. */
export function modelPatchArgs(patch: ModelPatch): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (key: string, value: unknown) => {
    if (value !== undefined) out[key] = value;
  };
  put('status', patch.status);
  put('metadata', patch.metadata);
  put('training_samples_count', patch.trainingSamplesCount);
  put('validation_samples_count', patch.validationSamplesCount);
  put('feature_importance', patch.featureImportance);
  put('training_duration_ms', patch.trainingDurationMs);
  put('status_reason', patch.statusReason);
  put('backend', patch.backend);
  put('weights_sha256', patch.weightsSha256);
  if (patch.metrics !== undefined) out.metrics = patch.metrics === null ? null : metricColumns(patch.metrics);
  return out;
}

/** ModelMetrics keyed by ml_models' columns, non-finite ratios as JSON-safe strings. */
export function metricColumns(metrics: ModelMetrics): Record<string, number | string | null> {
  return Object.fromEntries(Object.entries(METRIC_COLUMNS).map(([key, col]) => [col, jsonNumber(metrics[key as keyof ModelMetrics])]));
}

export async function updateModel({ rpc }: RpcCtx, version: string, patch: ModelPatch): Promise<ModelRecord> {
  if (patch.status === 'active') {
    throw new StoreError('STORE_INVALID', `use activateModel to make ${version} active: it retires the previous model atomically`);
  }
  const rows = await rpc.rows<ModelRow>('sb_update_model', { p_version: version, p_patch: modelPatchArgs(patch) });
  return toModel(rows[0]!);
}

export async function getModel({ db, n }: Ctx, version: string): Promise<ModelRecord | null> {
  const { rows } = await db.query(`SELECT * FROM ${n.models} WHERE model_version = $1`, [version]);
  return rows[0] ? toModel(rows[0]) : null;
}

export async function listModels({ db, n }: Ctx): Promise<ModelRecord[]> {
  const { rows } = await db.query(`SELECT * FROM ${n.models} ORDER BY created_at DESC, model_version DESC`);
  return rows.map(toModel);
}

export async function activeModel({ db, n }: Ctx): Promise<ModelRecord | null> {
  const { rows } = await db.query(`SELECT * FROM ${n.models} WHERE is_active`);
  return rows[0] ? toModel(rows[0]) : null;
}

/**
 * Makes `version` the one active model; the previous one becomes 'retired'. Idempotent for the
 * model already active. A model still training or failed cannot be activated.
 */
export async function activateModel({ rpc }: RpcCtx, version: string): Promise<ModelRecord> {
  const rows = await rpc.rows<ModelRow>('sb_activate_model', { p_version: version });
  return toModel(rows[0]!);
}

/** Stores the artifacts in one call (bytes as base64: the same arguments travel as JSON over REST). */
export async function putArtifacts({ rpc }: RpcCtx, rows: readonly ArtifactRecord[]): Promise<void> {
  if (rows.length === 0) return;
  await rpc.value<number>('sb_put_artifacts', {
    p_rows: rows.map((a) => ({
      model_version: a.modelVersion,
      name: a.name,
      content_type: a.contentType,
      bytes_base64: Buffer.from(a.bytes.buffer, a.bytes.byteOffset, a.bytes.byteLength).toString('base64'),
      sha256: a.sha256,
    })),
  });
}

/** The artifacts of a version through sb_get_artifacts (bytes came as base64). */
export async function getArtifactsRpc({ rpc }: RpcCtx, version: string): Promise<ArtifactRecord[]> {
  const rows = await rpc.rows<{ model_version: string; name: string; content_type: string; bytes_base64: string; sha256: string }>(
    'sb_get_artifacts',
    { p_version: version },
  );
  return rows.map((r) => ({
    modelVersion: r.model_version,
    name: r.name,
    contentType: r.content_type,
    bytes: new Uint8Array(Buffer.from(r.bytes_base64, 'base64')),
    sha256: r.sha256,
  }));
}

export async function getArtifacts({ db, n }: Ctx, version: string): Promise<ArtifactRecord[]> {
  const { rows } = await db.query<{ model_version: string; name: string; content_type: string; bytes: Uint8Array; sha256: string }>(
    `SELECT model_version, name, content_type, bytes, sha256 FROM ${n.artifacts} WHERE model_version = $1 ORDER BY name`,
    [version],
  );
  return rows.map((r) => ({
    modelVersion: r.model_version,
    name: r.name,
    contentType: r.content_type,
    bytes: r.bytes,
    sha256: r.sha256,
  }));
}
