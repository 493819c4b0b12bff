/**
 * What `signalbase train` prints when a run ends: a table of the test-window figures of the model
 * beside always-HOLD, the rule consensus and (when there was one) the active model, then the gate's
 * verdict, the resulting status and the weights hash. `trainReportJson` is the --json document.
 */
import { jsonSafe, metricsJson } from '../model/report.ts';
import type { TrainingJobResult } from '../model/training-job.ts';
import type { ModelMetrics } from '../store/types.ts';
import { renderMetricsTable } from './metrics-table.ts';

export function renderTrainReport(r: TrainingJobResult): string {
  const s = r.summary;
  const columns: Array<[string, ModelMetrics | null]> = [
    ['model', r.metrics],
    ['always-HOLD', r.baselines.alwaysHold],
    ['rules', r.baselines.rules],
  ];
  if (r.active) columns.push([`active ${r.active.version}`, r.active.metrics]);
  const out = [
    '',
    `model ${r.version}  (run ${r.runId}, seed ${r.seed}, backend ${r.backend})`,
    `data: ${s.symbols.length} series ${s.timeframe} (${s.symbols.join(', ')}), windows of ${s.timesteps}; ` +
      `train ${s.samples.train} / validation ${s.samples.val} / test ${s.samples.test} (purged ${s.samples.purged})`,
    `test period: ${s.window.testStart} .. ${s.window.testEnd}; epochs ${r.epochsRun} (best ${r.bestEpoch})`,
    '',
    ...renderMetricsTable('test window', columns),
    '',
  ];
  if (r.active?.error) out.push(`active model ${r.active.version} could not be scored: ${r.active.error}`);
  out.push(qualityLine(r));
  out.push(`gate: ${r.gate.pass ? 'PASS' : 'FAIL'} — ${r.gate.reason}`);
  if (r.overridden) out.push('--activate: activated although the gate refused');
  out.push(`status: ${r.status} (${r.version})`);
  out.push(`weights sha256: ${r.weightsSha256}`);
  out.push(`took ${(r.durationsMs.total / 1000).toFixed(1)} s (training ${(r.durationsMs.training / 1000).toFixed(1)} s)`);
  return `${out.join('\n')}\n`;
}

/** The selective rule the test figures were scored with, and how calibrated the test window is. */
function qualityLine(r: TrainingJobResult): string {
  const { selection: s, calibration: c } = r.quality;
  const rule = s.threshold > 0 ? `BUY/SELL need a calibrated probability >= ${s.threshold}` : 'argmax (no threshold left enough validation trades)';
  return `selective: ${rule}, temperature ${s.temperature.toFixed(3)} (both fitted on validation); test Brier ${c.test.brier.toFixed(4)}, ECE ${c.test.ece.toFixed(4)} (uncalibrated ${c.testUncalibrated.ece.toFixed(4)})`;
}

export function trainReportJson(r: TrainingJobResult): Record<string, unknown> {
  return jsonSafe({
    version: r.version,
    run_id: r.runId,
    seed: r.seed,
    backend: r.backend,
    status: r.status,
    status_reason: r.statusReason,
    weights_sha256: r.weightsSha256,
    gate: { pass: r.gate.pass, reason: r.gate.reason, overridden: r.overridden },
    evaluations: {
      model: metricsJson(r.metrics),
      always_hold: metricsJson(r.baselines.alwaysHold),
      rules: metricsJson(r.baselines.rules),
      active: r.active ? { version: r.active.version, metrics: metricsJson(r.active.metrics), error: r.active.error } : null,
    },
    selection: { threshold: r.quality.selection.threshold, temperature: r.quality.selection.temperature, fitted_on: r.quality.selection.fittedOn, validation: r.quality.selection.validation },
    calibration: r.quality.calibration,
    expectancy: r.quality.expectancy,
    training_set: r.summary,
    epochs_run: r.epochsRun,
    best_epoch: r.bestEpoch,
    feature_importance: r.importance.importance,
    weights: r.weights ? { previous: r.weights.previous, new: r.weights.next, changes: r.weights.changes } : null,
    durations_ms: r.durationsMs,
  });
}
