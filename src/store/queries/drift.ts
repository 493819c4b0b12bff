/** ml_model_drift: one row per drift check (src/drift writes them; detect_model_drift() reads them). */
import type { DriftRecord } from '../types.ts';
import { jsonNumber } from '../rpc.ts';
import { numOrNull, toMs, type Ctx, type RpcCtx } from './common.ts';

export async function insertDrift({ rpc }: RpcCtx, row: DriftRecord): Promise<string> {
  return rpc.value<string>('sb_insert_drift', {
    p_row: {
      model_version: row.modelVersion,
      data_drift_score: jsonNumber(row.dataDriftScore),
      prediction_drift_score: jsonNumber(row.predictionDriftScore),
      performance_drift_score: jsonNumber(row.performanceDriftScore),
      overall_drift_score: jsonNumber(row.overallDriftScore),
      feature_drift_details: row.featureDriftDetails ?? {},
      drift_detected: row.driftDetected,
      action_taken: row.actionTaken,
      retraining_triggered: row.retrainingTriggered,
      thresholds: row.thresholds ?? {},
      drift_threshold: jsonNumber(row.thresholds?.overall),
      status: row.status,
      created_ms: row.createdAt ?? null,
    },
  });
}

export async function listDrift({ db, n }: Ctx, limit: number): Promise<(DriftRecord & { id: string; createdAt: number })[]> {
  const { rows } = await db.query<Record<string, unknown>>(
    `SELECT * FROM ${n.drift} ORDER BY drift_date DESC, created_at DESC LIMIT $1`,
    [Math.max(0, Math.floor(limit))],
  );
  return rows.map(toDrift);
}

export function toDrift(r: Record<string, unknown>): DriftRecord & { id: string; createdAt: number } {
  return {
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
  };
}
