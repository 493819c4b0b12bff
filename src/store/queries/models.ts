/**
 * ml_models and ml_model_artifacts: the registry. Exactly one model is active (a partial unique
 * index); activateModel retires the previous one in the same transaction.
 */
import { StoreError } from '../../errors.ts';
import type { ArtifactRecord, ModelMetrics, ModelPatch, ModelRecord, ModelStatus, NewModel } from '../types.ts';
import { notFound, numOrNull, strOrNull, toMs, toMsOrNull, type Ctx } from './common.ts';

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

type ModelRow = Record<string, unknown>;

/** A metric column as a number; NaN when the report left it out. */
const metric = (v: unknown): number => (v === null || v === undefined ? Number.NaN : Number(v));

function toModel(r: ModelRow): ModelRecord {
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

export async function createModel({ db, n }: Ctx, m: NewModel): Promise<ModelRecord> {
  const { rows } = await db.query(
    `INSERT INTO ${n.models} (model_version, model_type, metadata, seed, backend)
     VALUES ($1, $2, $3::jsonb, $4, $5)
     ON CONFLICT (model_version) DO NOTHING RETURNING *`,
    [m.version, m.modelType ?? 'LSTM', JSON.stringify(m.metadata ?? {}), m.seed ?? null, m.backend ?? null],
  );
  if (!rows[0]) {
    throw new StoreError('STORE_CONSTRAINT', `model ${m.version} already exists; model versions are unique`, { context: { version: m.version } });
  }
  return toModel(rows[0]);
}

export async function updateModel({ db, n }: Ctx, version: string, patch: ModelPatch): Promise<ModelRecord> {
  if (patch.status === 'active') {
    throw new StoreError('STORE_INVALID', `use activateModel to make ${version} active: it retires the previous model atomically`);
  }
  const sets: string[] = [];
  const params: unknown[] = [version];
  const set = (col: string, value: unknown, cast = '') => {
    params.push(value);
    sets.push(`${col} = $${params.length}${cast}`);
  };
  if (patch.status !== undefined) set('model_status', patch.status);
  if (patch.metadata !== undefined) set('metadata', JSON.stringify(patch.metadata), '::jsonb');
  if (patch.trainingSamplesCount !== undefined) set('training_samples_count', patch.trainingSamplesCount);
  if (patch.validationSamplesCount !== undefined) set('validation_samples_count', patch.validationSamplesCount);
  if (patch.featureImportance !== undefined) set('feature_importance', JSON.stringify(patch.featureImportance), '::jsonb');
  if (patch.trainingDurationMs !== undefined) {
    set('training_duration_ms', patch.trainingDurationMs);
    set('training_duration_minutes', patch.trainingDurationMs === null ? null : patch.trainingDurationMs / 60_000);
  }
  if (patch.statusReason !== undefined) set('status_reason', patch.statusReason);
  if (patch.backend !== undefined) set('backend', patch.backend);
  if (patch.weightsSha256 !== undefined) set('weights_sha256', patch.weightsSha256);
  if (patch.metrics !== undefined) {
    for (const [key, col] of Object.entries(METRIC_COLUMNS)) {
      set(col, patch.metrics === null ? null : patch.metrics[key as keyof ModelMetrics]);
    }
  }
  const { rows } = sets.length
    ? await db.query(`UPDATE ${n.models} SET ${sets.join(', ')} WHERE model_version = $1 RETURNING *`, params)
    : await db.query(`SELECT * FROM ${n.models} WHERE model_version = $1`, params);
  if (!rows[0]) throw notFound('model', version);
  return toModel(rows[0]);
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
export async function activateModel({ db, n }: Ctx, version: string): Promise<ModelRecord> {
  return db.transaction(async (tx) => {
    // Serialises concurrent activations so the second sees the first's result.
    await tx.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`signalbase:activate:${n.schema}`]);
    const { rows } = await tx.query(`SELECT * FROM ${n.models} WHERE model_version = $1 FOR UPDATE`, [version]);
    const target = rows[0];
    if (!target) throw notFound('model', version);
    if (target.is_active) return toModel(target);
    if (target.model_status === 'training' || target.model_status === 'failed') {
      throw new StoreError('STORE_INVALID', `model ${version} is ${String(target.model_status)} and cannot be activated`, {
        context: { version, status: target.model_status },
      });
    }
    await tx.query(`UPDATE ${n.models} SET is_active = false, model_status = 'retired' WHERE is_active`);
    const { rows: done } = await tx.query(
      `UPDATE ${n.models} SET is_active = true, model_status = 'active', activated_at = now()
       WHERE model_version = $1 RETURNING *`,
      [version],
    );
    return toModel(done[0]!);
  });
}

export async function putArtifacts({ db, n }: Ctx, rows: readonly ArtifactRecord[]): Promise<void> {
  if (rows.length === 0) return;
  // One statement per artifact, all in one transaction: artifacts are few and large.
  await db.transaction(async (tx) => {
    for (const a of rows) {
      await tx.query(
        `INSERT INTO ${n.artifacts} (model_version, name, content_type, bytes, sha256)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (model_version, name) DO UPDATE
           SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256, created_at = now()`,
        [a.modelVersion, a.name, a.contentType, a.bytes, a.sha256],
      );
    }
  });
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
