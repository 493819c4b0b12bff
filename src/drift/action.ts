/**
 * What follows a drift check (DESIGN.md "Drift"): the ml_model_drift record (scores, per-feature
 * details, thresholds, action taken), a retrain request when drift was detected — at most one per
 * cooldown — the metrics, and the `drift` message for websocket subscribers.
 *
 * The cooldown is read from the stored retrain queue (the newest request with source 'drift'), not
 * from memory, so it holds across restarts and across instances that take over the leadership.
 */
import { Counter, Gauge } from 'prom-client';
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import type { DriftRecord } from '../store/types.ts';
import type { DriftResult } from './check.ts';

export const driftScore = new Gauge({
  name: 'drift_score',
  help: 'Latest drift check scores of the active model: data (share of drifted features), prediction (PSI), performance (drop), overall (multiple of threshold)',
  labelNames: ['kind'] as const,
  registers: [registry],
});
export const driftDetected = new Gauge({ name: 'drift_detected', help: 'Whether the latest drift check detected drift: 1 or 0', registers: [registry] });
export const driftChecks = new Counter({ name: 'drift_checks_total', help: 'Drift checks run, by status', labelNames: ['status'] as const, registers: [registry] });

/** One check as the CLI, the HTTP API and subscribers see it. */
export interface DriftReport {
  record_id: string;
  checked_at: string;
  model_version: string;
  status: DriftResult['status'];
  drift_detected: boolean;
  drifted: DriftResult['drifted'];
  scores: DriftResult['scores'];
  summary: string;
  action: string;
  retrain_request_id: string | null;
  result: DriftResult;
}

export interface DriftActionDeps {
  store: Pick<Store, 'insertDrift' | 'listRetrains' | 'enqueueRetrain'>;
  cooldownMs: number;
  clock: Clock;
  log: Logger;
  /** Pushes the `drift` message to subscribers (hub.publishDrift). */
  publish?: (data: Record<string, unknown>) => void;
  /** A retrain request was filed (wake the queue worker). */
  onRetrainFiled?: () => void;
}

/** The newest retrain request a drift check filed, if any is within the cooldown. */
async function lastDriftRequest(store: DriftActionDeps['store'], since: number): Promise<{ id: string; createdAt: number } | null> {
  const recent = await store.listRetrains(200);
  const last = recent.find((r) => r.source === 'drift');
  return last && last.createdAt > since ? { id: last.id, createdAt: last.createdAt } : null;
}

function detailsOf(r: DriftResult): Record<string, unknown> {
  return {
    drifted: r.drifted,
    summary: r.summary,
    vectors: r.vectors,
    data: r.data,
    features: Object.fromEntries(r.features.map(({ feature, ...rest }) => [feature, rest])),
    prediction: r.prediction,
    performance: r.performance,
  };
}

/** Records the check, files a retrain if it drifted and the cooldown allows, sets metrics, publishes. */
export async function actOnCheck(deps: DriftActionDeps, r: DriftResult): Promise<DriftReport> {
  const now = deps.clock.now();
  let action = r.driftDetected ? '' : r.status === 'ok' ? 'none' : `none (${r.status.replace('_', ' ')})`;
  let requestId: string | null = null;
  if (r.driftDetected) {
    const recent = await lastDriftRequest(deps.store, now - deps.cooldownMs);
    if (recent) {
      action = `retrain not requested: cooldown (drift request ${recent.id} at ${new Date(recent.createdAt).toISOString()}, ${(deps.cooldownMs / 3_600_000).toFixed(1)} h)`;
    } else {
      const req = await deps.store.enqueueRetrain({ source: 'drift', force: true, reason: `drift on ${r.modelVersion}: ${r.summary}` });
      requestId = req.id;
      action = `retrain requested (${req.id})`;
      deps.onRetrainFiled?.();
    }
  }
  const record: DriftRecord = {
    modelVersion: r.modelVersion,
    dataDriftScore: r.scores.data,
    predictionDriftScore: r.scores.prediction,
    performanceDriftScore: r.scores.performance,
    overallDriftScore: r.scores.overall,
    featureDriftDetails: detailsOf(r),
    driftDetected: r.driftDetected,
    actionTaken: action,
    retrainingTriggered: requestId !== null,
    thresholds: { ...r.thresholds, overall: 1 },
    status: r.status,
    createdAt: now,
  };
  const id = await deps.store.insertDrift(record);
  driftChecks.inc({ status: r.status });
  driftDetected.set(r.driftDetected ? 1 : 0);
  for (const kind of ['data', 'prediction', 'performance', 'overall'] as const) {
    const v = r.scores[kind];
    if (v === null) driftScore.remove({ kind });
    else driftScore.set({ kind }, v);
  }
  const report: DriftReport = {
    record_id: id,
    checked_at: new Date(now).toISOString(),
    model_version: r.modelVersion,
    status: r.status,
    drift_detected: r.driftDetected,
    drifted: r.drifted,
    scores: r.scores,
    summary: r.summary,
    action,
    retrain_request_id: requestId,
    result: r,
  };
  const { result: _full, ...message } = report;
  deps.publish?.(message);
  const level = r.driftDetected ? 'warn' : 'info';
  deps.log[level]({ record: id, status: r.status, scores: r.scores, action }, `drift check on ${r.modelVersion}: ${r.summary}; ${action}`);
  return report;
}
