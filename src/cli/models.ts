/**
 * `signalbase models list | activate VERSION | rollback [--json]`: the model registry
 * (src/model/registry.ts). `list --json` prints an array of {version, status, is_active, created_at,
 * seed, backend, weights_sha256, metrics, ...}; activate and rollback print the models involved.
 */
import { ConfigError } from '../errors.ts';
import { activateVersion, listModelSummaries, modelSummary, rollbackModel, type ModelSummary } from '../model/registry.ts';
import { openStore } from '../store/index.ts';
import { parseFlags, writeJson, type Command } from './command.ts';

const USAGE = 'usage: signalbase models list | activate VERSION | rollback [--json]';

const fmt = (v: number | string | undefined) => (v === undefined ? '-' : typeof v === 'number' ? v.toFixed(4) : v);

function renderList(models: ModelSummary[]): string {
  if (models.length === 0) return 'no models yet: signalbase train\n';
  const rows = models.map((m) => [
    m.is_active ? '*' : ' ',
    m.version,
    m.status,
    m.created_at.replace(/\.\d+Z$/, 'Z'),
    m.seed === null ? '-' : String(m.seed),
    m.backend ?? '-',
    fmt(m.metrics?.f1_macro),
    fmt(m.metrics?.profit_factor),
    m.weights_sha256 ? m.weights_sha256.slice(0, 12) : '-',
    m.status_reason ?? '',
  ]);
  const head = ['', 'version', 'status', 'created_at', 'seed', 'backend', 'macro_f1', 'profit_factor', 'weights', 'reason'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return `${[line(head), ...rows.map(line)].join('\n')}\n`;
}

const command: Command = {
  summary: 'the model registry: list, activate a version, roll back',
  usage: [
    USAGE,
    '',
    'list       every model, newest first (* = active), with its test macro F1 and profit factor',
    'activate   make VERSION the active model (trained, retired or rejected models with artifacts)',
    'rollback   reactivate the model that was active before the current one; the current one becomes rejected',
    '--json     list: an array of {version, status, is_active, created_at, seed, backend, weights_sha256, metrics, ...};',
    '           activate / rollback: {"active": model, "previous": model}',
  ].join('\n'),

  async run(argv, { config, log, out }) {
    const { values, positionals } = parseFlags(argv, { json: { type: 'boolean', default: false } }, true);
    const [action, ...rest] = positionals;
    const arity: Record<string, number> = { list: 0, activate: 1, rollback: 0 };
    if (!action || !(action in arity)) throw new ConfigError(action ? `unknown models action '${action}'; ${USAGE}` : USAGE);
    if (rest.length !== arity[action]) throw new ConfigError(action === 'activate' ? 'models activate needs one VERSION' : `models ${action} takes no argument`);

    const store = await openStore(config, log);
    try {
      if (action === 'list') {
        const models = await listModelSummaries(store);
        if (values.json) writeJson(out, models);
        else out.write(renderList(models));
      } else if (action === 'activate') {
        const previous = await store.activeModel();
        const active = await activateVersion(store, rest[0]!, log);
        const prev = previous && previous.version !== active.version ? await store.getModel(previous.version) : null;
        if (values.json) writeJson(out, { active: modelSummary(active), previous: prev ? modelSummary(prev) : null });
        else out.write(`active: ${active.version}${prev ? ` (was ${prev.version}, now ${prev.status})` : ''}\n`);
      } else {
        const { from, to } = await rollbackModel(store, log);
        if (values.json) writeJson(out, { active: modelSummary(to), previous: modelSummary(from) });
        else out.write(`rolled back: ${from.version} → ${to.version} (active); ${from.version} is now ${from.status}\n`);
      }
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
