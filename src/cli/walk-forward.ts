/**
 * `signalbase backtest --walk-forward train=7d,test=1d[,step=1d][,purge=auto] --feed SPEC [--seed N] [--json]`
 * (model/walk-forward.ts does the work). The simulation trains into a scratch in-memory store; the
 * configured store only receives the result (ml_backtests), so the dashboard can show it. Progress
 * goes to stderr (a bar on a terminal, else one line per fold); --json prints DESIGN.md's document:
 * everything but the `duration_ms` fields is identical for the same seed, feed and code.
 */
import { loadavg } from 'node:os';
import { jsonSafe, metricsJson } from '../model/report.ts';
import type { FoldResult, WalkForwardProgress, WalkForwardResult } from '../backtest/walk-forward.ts';
import type { BacktestResult } from '../signals/backtest.ts';
import type { ModelMetrics } from '../store/types.ts';
import { renderMetricsTable } from './metrics-table.ts';

const iso = (t: number) => new Date(t).toISOString();
const window = (w: { from: number; to: number } | null) => (w ? { from: iso(w.from), to: iso(w.to) } : null);

function evaluationsJson(e: BacktestResult['evaluations']) {
  return { model: metricsJson(e.model?.metrics ?? null), always_hold: metricsJson(e.alwaysHold?.metrics ?? null), rules: metricsJson(e.rules?.metrics ?? null) };
}

function foldJson(f: FoldResult) {
  const b = f.backtest;
  const times = b.samples.times;
  return {
    index: f.index,
    train: window(f.train),
    test: window(f.test),
    // The model whose signals were scored in this fold's test window ('rules' when none served).
    model_version: f.serving,
    serving_train_window: window(f.servingTrainWindow),
    trained: f.trained,
    status: f.status,
    gate: f.gate,
    selection: f.selection,
    signals: { total: b.signals.total, scored: b.signals.scored, by_direction: b.signals.byDirection },
    scored_window: times.length ? { from: iso(Math.min(...times)), to: iso(Math.max(...times)) } : null,
    evaluations: evaluationsJson(b.evaluations),
    drift: f.drift,
    duration_ms: f.durationMs,
  };
}

export function walkForwardJson(r: WalkForwardResult, feed: string) {
  const count = (s: FoldResult['status']) => r.folds.filter((f) => f.status === s).length;
  return jsonSafe({
    feed,
    seed: r.seed,
    plan: { train_ms: r.plan.trainMs, test_ms: r.plan.testMs, step_ms: r.plan.stepMs, purge_ms: r.plan.purgeMs },
    folds: r.folds.map(foldJson),
    overall: evaluationsJson(r.overall),
    summary: {
      folds: r.folds.length,
      promoted: count('promoted'),
      refused: count('refused'),
      failed: count('failed'),
      drift_alarms: r.folds.filter((f) => f.drift?.detected).length,
      scored_signals: r.samples.actual.length,
      served_by_model: r.folds.filter((f) => f.serving !== 'rules').length,
    },
    duration_ms: r.durationMs,
  });
}

const fmt = (x: number | undefined) => (x === undefined ? '-' : Number.isFinite(x) ? x.toFixed(4) : String(x));

export function renderWalkForward(r: WalkForwardResult): string {
  const lines = ['', `walk-forward: ${r.folds.length} folds, seed ${r.seed}; only signals in each fold's test window are scored`, ''];
  lines.push('fold  test window (UTC)                           served by                 trained model             gate      trades  avg P/L %  PF      drift');
  for (const f of r.folds) {
    const m = f.backtest.evaluations.model?.metrics;
    lines.push(
      [
        String(f.index).padEnd(4),
        `${iso(f.test.from).slice(0, 16)} .. ${iso(f.test.to).slice(0, 16)}`.padEnd(42),
        f.serving.padEnd(24),
        (f.trained ?? '-').padEnd(24),
        f.status.padEnd(8),
        String(m?.trades ?? 0).padStart(6),
        fmt(m?.avgProfitPerTrade).padStart(9),
        fmt(m?.profitFactor).padStart(7),
        f.drift ? (f.drift.detected ? `ALARM ${f.drift.drifted.join('+')}` : f.drift.status) : '-',
      ].join('  '),
    );
  }
  lines.push('');
  for (const f of r.folds) lines.push(`fold ${f.index} gate: ${f.gate.passed ? 'PASS' : 'FAIL'} — ${f.gate.reason}`);
  const e = r.overall;
  const columns: Array<[string, ModelMetrics | null]> = [
    ['system', e.model?.metrics ?? null],
    ['always-HOLD', e.alwaysHold?.metrics ?? null],
    ['rules', e.rules?.metrics ?? null],
  ];
  lines.push('', ...renderMetricsTable('all test windows', columns), '', `took ${(r.durationMs / 60_000).toFixed(1)} min`);
  return `${lines.join('\n')}\n`;
}

/** CPU time of the whole process (every thread) in ms, and the load average. */
const processProbe = {
  cpuMs: () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1000;
  },
  load: () => loadavg(),
};

/**
 * One line per fold stage on stderr; a training's own epoch lines at most every 5 s. A fold's last
 * line gives its wall time, the CPU time of the whole process over it (every thread: the fit runs
 * in a worker) and the load average: on a shared machine the CPU seconds, not the wall time, say
 * what a fold costs on a quiet one (one thread at a time does the work: the fit, then the replay).
 */
export function walkForwardProgress(stream: NodeJS.WritableStream, probe: { cpuMs(): number; load(): number[] } = processProbe): (p: WalkForwardProgress) => void {
  const started = Date.now();
  const cpuStarted = probe.cpuMs();
  let lastEpochLine = 0;
  let fold = { index: -1, wall: 0, cpu: 0 };
  return (p) => {
    const bar = (done: number) => `[${'#'.repeat(Math.round((20 * done) / p.folds)).padEnd(20, '.')}]`;
    const elapsed = `${((Date.now() - started) / 60_000).toFixed(1)} min`;
    if (p.fold !== fold.index) fold = { index: p.fold, wall: Date.now(), cpu: probe.cpuMs() };
    if (p.job) {
      if (p.job.kind === 'epoch' && Date.now() - lastEpochLine > 5_000) {
        lastEpochLine = Date.now();
        stream.write(`${bar(p.fold)} fold ${p.fold + 1}/${p.folds} training: epoch ${p.job.epoch}/${p.job.epochs} (${elapsed})\n`);
      }
      return;
    }
    if (p.stage !== 'done') {
      stream.write(`${bar(p.fold)} fold ${p.fold + 1}/${p.folds} ${p.stage} (${elapsed})\n`);
      return;
    }
    const s = (ms: number) => (ms / 1000).toFixed(1);
    const load = probe.load().map((x) => x.toFixed(1)).join(' ');
    stream.write(
      `${bar(p.fold + 1)} fold ${p.fold + 1}/${p.folds} done (${elapsed}): ${s(Date.now() - fold.wall)} s wall, ${s(probe.cpuMs() - fold.cpu)} s CPU; ` +
        `run so far ${s(Date.now() - started)} s wall, ${s(probe.cpuMs() - cpuStarted)} s CPU; load average ${load}\n`,
    );
  };
}
