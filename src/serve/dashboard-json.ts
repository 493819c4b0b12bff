/**
 * The wire shapes of the dashboard's read-only routes (serve/dashboard-routes.ts): store records
 * turned into snake_case JSON, like the Signal. Times are ISO 8601 strings, except a candle's
 * `time`, which is epoch seconds (what charting libraries take), beside its ISO `open_time`.
 */
import type { Candle } from '../domain/candle.ts';
import type { PredictionRecord, PredictionType } from '../domain/prediction.ts';
import { toSignal, type Signal } from '../domain/signal.ts';
import type { DriftRecord, ModelMetrics, ModelRecord, RetrainRequest } from '../store/types.ts';
import { selectionFromMetadata } from '../model/selective.ts';
import type { BacktestRecord } from '../store/queries/quality.ts';

const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());

export interface CandleJson {
  time: number;
  open_time: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export function candleJson(c: Candle): CandleJson {
  return { time: Math.floor(c.openTime / 1000), open_time: iso(c.openTime)!, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
}

export interface OutcomeJson {
  outcome: string;
  exit_price: number | null;
  profit_loss_pct: number | null;
  outcome_time: string | null;
}

/** A stored signal: the wire Signal plus how it was made and, once resolved, its outcome. */
export type SignalJson = Signal & { prediction_type: PredictionType; outcome: OutcomeJson | null };

export function signalJson(p: PredictionRecord): SignalJson {
  const outcome = p.actualOutcome
    ? { outcome: p.actualOutcome, exit_price: p.exitPrice ?? null, profit_loss_pct: p.actualProfitLoss ?? null, outcome_time: iso(p.outcomeTime) }
    : null;
  return { ...toSignal(p), prediction_type: p.predictionType, outcome };
}

const snake = (k: string) => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** Test-set figures with snake_case names (f1Macro → f1_macro); non-numbers (a ratio stored as null) stay null. */
export function metricsJson(m: Partial<ModelMetrics> | Record<string, unknown> | null | undefined): Record<string, number | null> | null {
  if (!m || typeof m !== 'object') return null;
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [snake(k), typeof v === 'number' ? v : null]));
}

const record = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null);

export interface ModelJson {
  version: string;
  status: string;
  is_active: boolean;
  backend: string | null;
  model_type: string;
  /** When the training run started (the version's timestamp); it took training_duration_ms. */
  trained_at: string | null;
  training_duration_ms: number | null;
  activated_at: string | null;
  samples: { training: number; validation: number };
  metrics: Record<string, number | null> | null;
  baselines: { always_hold: Record<string, number | null> | null; rules: Record<string, number | null> | null } | null;
  /** The promotion gate's verdict; null until the model was evaluated. */
  gate: { pass: boolean; reason: string } | null;
  /** The selective rule fitted on validation, and the test window's calibration (models trained before it: null). */
  selection: { threshold: number; temperature: number } | null;
  calibration: { brier: number; ece: number } | null;
  status_reason: string | null;
}

function testCalibration(meta: Record<string, unknown>): ModelJson['calibration'] {
  const test = record(record(meta.calibration)?.test);
  return test && typeof test.brier === 'number' && typeof test.ece === 'number' ? { brier: test.brier, ece: test.ece } : null;
}

/** A registry row; baselines and the gate come from the metadata the training job records. */
export function modelJson(m: ModelRecord): ModelJson {
  const baselines = record(m.metadata.baselines);
  const gate = record(m.metadata.gate);
  return {
    version: m.version,
    status: m.status,
    is_active: m.isActive,
    backend: m.backend,
    model_type: m.modelType,
    trained_at: iso(m.createdAt),
    training_duration_ms: m.trainingDurationMs,
    activated_at: iso(m.activatedAt),
    samples: { training: m.trainingSamplesCount, validation: m.validationSamplesCount },
    metrics: metricsJson(m.metrics),
    baselines: baselines ? { always_hold: metricsJson(record(baselines.alwaysHold)), rules: metricsJson(record(baselines.rules)) } : null,
    gate: gate && typeof gate.pass === 'boolean' ? { pass: gate.pass, reason: typeof gate.reason === 'string' ? gate.reason : '' } : null,
    selection: selectionFromMetadata(m.metadata),
    calibration: testCalibration(m.metadata),
    status_reason: m.statusReason,
  };
}

export function retrainJson(r: RetrainRequest) {
  return {
    request_id: r.id,
    status: r.status,
    source: r.source,
    reason: r.reason,
    force: r.force,
    model_version: r.modelVersion,
    error: r.error,
    created_at: iso(r.createdAt),
    started_at: iso(r.startedAt),
    finished_at: iso(r.finishedAt),
  };
}

export function driftJson(d: DriftRecord & { id: string; createdAt: number }) {
  return {
    id: d.id,
    created_at: iso(d.createdAt),
    model_version: d.modelVersion,
    status: d.status,
    data_drift_score: d.dataDriftScore,
    prediction_drift_score: d.predictionDriftScore,
    performance_drift_score: d.performanceDriftScore,
    overall_drift_score: d.overallDriftScore,
    drift_detected: d.driftDetected,
    action_taken: d.actionTaken,
    retraining_triggered: d.retrainingTriggered,
    thresholds: d.thresholds,
    feature_drift_details: d.featureDriftDetails,
  };
}

/**
 * A recorded walk-forward run (ml_backtests): its --json document (cli/walk-forward.ts: plan, folds
 * with their gate verdicts, evaluations of the system, always-HOLD and the rules, drift; overall and
 * summary) under the row's id and recording time.
 */
export function backtestJson(b: BacktestRecord) {
  const r = b.result;
  return {
    id: b.id,
    kind: b.kind,
    feed: b.feed,
    seed: b.seed,
    recorded_at: iso(b.createdAt),
    duration_ms: b.durationMs,
    plan: r.plan ?? null,
    summary: r.summary ?? null,
    overall: r.overall ?? null,
    folds: Array.isArray(r.folds) ? r.folds : [],
  };
}
