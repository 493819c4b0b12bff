/**
 * `signalbase drift check [--key ADMIN_KEY] [--url URL] [--json]`: one drift check now, printed as
 * a table (per feature PSI, KS D, p, drifted; prediction and performance rows; verdict and action).
 *
 * - Embedded store held by a running daemon: the daemon's window is the live one, so the check runs
 *   there, through POST /v1/drift/check with an admin key (--key); the files are never opened twice.
 * - Otherwise (no daemon, or Postgres): the window is rebuilt from the stored candles with the same
 *   feature code and the model's stored predictions and outcomes (drift/offline.ts), and the check
 *   writes its record and, on drift, its retrain request like the daemon's.
 */
import { systemClock } from '../domain/clock.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { ConfigError, StoreError } from '../errors.ts';
import { actOnCheck, type DriftReport } from '../drift/action.ts';
import { checkDrift } from '../drift/check.ts';
import { storedWindow } from '../drift/offline.ts';
import { loadModelReference } from '../drift/reference.ts';
import { openStore } from '../store/index.ts';
import { parseFlags, writeJson, type Command, type CommandContext } from './command.ts';

const fmt = (x: number | null | undefined, digits = 3) => (x === null || x === undefined ? '—' : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : x.toFixed(digits));

export function driftTable(r: DriftReport): string {
  const lines = [`model ${r.model_version} — ${r.status.toUpperCase()} (${r.checked_at})`, ''];
  const res = r.result;
  if (res.features.length > 0) {
    lines.push(`${'feature'.padEnd(18)}${'PSI'.padStart(8)}${'KS D'.padStart(8)}${'p'.padStart(10)}${'n_eff'.padStart(8)}  drifted`);
    for (const f of res.features) {
      lines.push(`${f.feature.padEnd(18)}${fmt(f.psi).padStart(8)}${fmt(f.ksD).padStart(8)}${fmt(f.ksP).padStart(10)}${fmt(f.nEff, 1).padStart(8)}  ${f.status === 'constant' ? 'constant (not tested)' : f.drifted ? 'YES' : 'no'}`);
    }
    lines.push('');
  }
  if (res.data) lines.push(`data         ${res.data.driftedCount} of ${res.data.tested} features drifted (share ${fmt(res.data.share, 2)}, threshold ${res.thresholds.featureShare})  ${res.data.drifted ? 'DRIFT' : 'ok'}`);
  const p = res.prediction;
  lines.push(p ? `prediction   class-mix PSI ${fmt(p.classMixPsi)} (p ${fmt(p.classMixP)}), confidence PSI ${fmt(p.confidencePsi)} (p ${fmt(p.confidenceP)}), ${p.n} predictions  ${p.drifted ? 'DRIFT' : 'ok'}` : 'prediction   not enough predictions (or no reference for them)');
  const q = res.performance;
  lines.push(q ? `performance  ${q.reason}  ${q.drifted ? 'DRIFT' : 'ok'}` : `performance  fewer than ${res.thresholds.minOutcomes} resolved outcomes (or no test figures): not judged`);
  lines.push('', `verdict      ${r.summary}`, `action       ${r.action}`);
  return `${lines.join('\n')}\n`;
}

async function viaDaemon(ctx: CommandContext, key: string | undefined, url: string, pid: unknown): Promise<DriftReport> {
  if (!key) throw new ConfigError(`the embedded store is held by the running daemon (process ${String(pid)}); run the check through its API: signalbase drift check --key ADMIN_KEY`);
  const res = await fetch(`${url}/v1/drift/check`, { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
  const body = (await res.json()) as DriftReport & { error?: { code: string; message: string } };
  if (!res.ok) throw new SignalbaseError(body.error?.code ?? 'DRIFT_CHECK_FAILED', `the daemon refused the drift check (${res.status}): ${body.error?.message ?? ''}`);
  return body;
}

async function offline(ctx: CommandContext): Promise<DriftReport> {
  const store = await openStore(ctx.config, ctx.log);
  try {
    const active = await store.activeModel();
    if (!active) throw new SignalbaseError('NO_MODEL', 'no model is active yet: there is nothing to check for drift (signalbase models list)');
    const model = await loadModelReference(store, active.version);
    const window = await storedWindow(store, active.version, ctx.config.drift.window);
    const result = checkDrift({ model, ...window, thresholds: { minOutcomes: ctx.config.drift.minOutcomes } });
    return await actOnCheck({ store, cooldownMs: ctx.config.drift.cooldownMs, clock: systemClock, log: ctx.log.child({ module: 'drift' }) }, result);
  } finally {
    await store.close();
  }
}

const command: Command = {
  summary: 'one drift check now; prints the result',
  usage: [
    'usage: signalbase drift check [--key ADMIN_KEY] [--url URL] [--json]',
    '',
    '  --key KEY  admin key, when a running daemon holds the embedded store (the check runs in it)',
    '  --url URL  that daemon (default http://localhost:PORT)',
    '  --json     print the check as one JSON document',
  ].join('\n'),
  async run(argv, ctx) {
    const { values, positionals } = parseFlags(argv, { key: { type: 'string' }, url: { type: 'string' }, json: { type: 'boolean', default: false } }, true);
    if (positionals[0] !== 'check' || positionals.length > 1) throw new ConfigError('usage: signalbase drift check [--key ADMIN_KEY] [--url URL] [--json]');
    let report: DriftReport;
    try {
      report = await offline(ctx);
    } catch (err) {
      if (!(err instanceof StoreError && err.code === 'STORE_LOCKED')) throw err;
      report = await viaDaemon(ctx, values.key, values.url ?? `http://localhost:${ctx.config.port}`, err.context.pid);
    }
    if (values.json) writeJson(ctx.out, report);
    else ctx.out.write(driftTable(report));
    return 0;
  },
};

export default command;
