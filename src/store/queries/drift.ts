/** ml_model_drift: one row per drift check (src/drift writes them; detect_model_drift() reads them). */
import type { DriftRecord } from '../types.ts';
import { numOrNull, toMs, tsFromMs, type Ctx } from './common.ts';

export async function insertDrift({ db, n }: Ctx, row: DriftRecord): Promise<string> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO ${n.drift} (model_version, data_drift_score, prediction_drift_score, performance_drift_score,
       overall_drift_score, feature_drift_details, drift_detected, action_taken, retraining_triggered,
       thresholds, drift_threshold, status, drift_date, created_at)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10::jsonb, coalesce($11, 0.1), $12,
       coalesce(${tsFromMs('$13')}, now()), coalesce(${tsFromMs('$13')}, now()))
     RETURNING id`,
    [
      row.modelVersion,
      row.dataDriftScore,
      row.predictionDriftScore,
      row.performanceDriftScore,
      row.overallDriftScore,
      JSON.stringify(row.featureDriftDetails ?? {}),
      row.driftDetected,
      row.actionTaken,
      row.retrainingTriggered,
      JSON.stringify(row.thresholds ?? {}),
      row.thresholds?.overall ?? null,
      row.status,
      row.createdAt ?? null,
    ],
  );
  return rows[0]!.id;
}

export async function listDrift({ db, n }: Ctx, limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM ${n.drift} ORDER BY drift_date DESC, created_at DESC LIMIT $1`,
    [Math.max(0, Math.floor(limit))],
  );
  return rows.map((r) => ({
    id: String(r.id),
    modelVersion: String(r.model_version),
    dataDriftScore: numOrNull(r.data_drift_score),
    predictionDriftScore: numOrNull(r.prediction_drift_score),
    performanceDriftScore: numOrNull(r.performance_drift_score),
    overallDriftScore: numOrNull(r.overall_drift_score),
    featureDriftDetails: (r.feature_drift_details as Record<string, unknown>) ?? {},
    driftDetected: Boolean(r.drift_detected),
    actionTaken: String(r.action_taken ?? ''),
    retrainingTriggered: Boolean(r.retraining_triggered),
    thresholds: (r.thresholds as Record<string, number>) ?? {},
    status: r.status as DriftRecord['status'],
    createdAt: toMs(r.drift_date),
  }));
}
