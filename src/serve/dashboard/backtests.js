// The newest walk-forward backtest (GET /v1/backtests, the ml_backtests row `signalbase backtest
// --walk-forward` recorded): over all test windows, what served (the system) beside always-HOLD and
// the rule consensus on the same candles; then fold by fold, which model served, what the fold's
// training gave and the gate's verdict (its reason on hover and below), and the drift check.
import { fill, h, notice, num, pct, utc } from './dom.js';

const pnl = (x) => (typeof x === 'number' ? `${num(x, 3)}%` : '—');
const pf = (x) => (typeof x === 'number' ? num(x) : typeof x === 'string' ? x : '—');
const short = (v) => (typeof v === 'string' && v.length > 16 ? `…${v.slice(-6)}` : (v ?? '—'));

const OVERALL = [
  ['Trades', 'trades', (x) => num(x, 0)],
  ['Win rate', 'win_rate', (x) => pct(x)],
  ['Mean net P/L a trade', 'avg_profit_per_trade', pnl],
  ['Profit factor', 'profit_factor', pf],
  ['Max drawdown', 'max_drawdown', (x) => (typeof x === 'number' ? `${num(x)}%` : '—')],
  ['Macro F1', 'f1_macro', (x) => num(x, 3)],
  ['Accuracy', 'accuracy', (x) => pct(x)],
];

function overallTable(o) {
  const cols = [o?.model, o?.always_hold, o?.rules];
  return h(
    'table',
    { class: 'grid metrics', id: 'backtest-overall' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'All test windows'), ...['System', 'Always HOLD', 'Rules'].map((c) => h('th', { scope: 'col', class: 'num' }, c)))),
    h('tbody', {}, ...OVERALL.map(([label, key, f]) => h('tr', {}, h('th', { scope: 'row' }, label), ...cols.map((c, i) => h('td', { class: `num mono${i === 0 ? ' strong' : ''}` }, f(c?.[key])))))),
  );
}

function driftCell(d) {
  if (!d) return '—';
  return d.detected ? h('span', { class: 'bad' }, `ALARM ${(d.drifted ?? []).join('+')}`) : d.status;
}

function foldRow(f) {
  const m = f.evaluations?.model;
  const r = f.evaluations?.rules;
  const status = f.status ?? '—';
  return h(
    'tr',
    { 'data-fold': f.index },
    h('th', { scope: 'row', class: 'num' }, String(f.index)),
    h('td', { class: 'mono' }, utc(f.test?.from).slice(0, 10)),
    h('td', { class: 'mono', title: f.model_version }, f.model_version === 'rules' ? 'rules' : short(f.model_version)),
    h('td', { class: 'mono', title: f.trained ?? '' }, short(f.trained)),
    h('td', { title: f.gate?.reason ?? '' }, h('span', { class: `status status-${status === 'promoted' ? 'active' : status === 'refused' ? 'trained' : 'failed'}` }, status)),
    h('td', { class: 'num mono' }, num(m?.trades, 0)),
    h('td', { class: 'num mono strong' }, pnl(m?.avg_profit_per_trade)),
    h('td', { class: 'num mono' }, pf(m?.profit_factor)),
    h('td', { class: 'num mono' }, pnl(r?.avg_profit_per_trade)),
    h('td', { class: 'num mono' }, pf(r?.profit_factor)),
    h('td', { class: 'small' }, driftCell(f.drift)),
  );
}

function foldsTable(folds) {
  const heads = ['Fold', 'Test day', 'Served by', 'Trained', 'Gate', 'Trades', 'Mean P/L', 'PF', 'Rules P/L', 'Rules PF', 'Drift'];
  return h(
    'table',
    { class: 'grid', id: 'backtest-folds', 'data-rows': folds.length },
    h('thead', {}, h('tr', {}, ...heads.map((c, i) => h('th', { scope: 'col', class: i === 0 || (i >= 5 && i <= 9) ? 'num' : '' }, c)))),
    h('tbody', {}, ...folds.map(foldRow)),
  );
}

/** `runs`: GET /v1/backtests' list, newest first; the newest is shown. */
export function renderBacktests(el, runs) {
  const run = runs[0];
  if (!run) {
    return fill(el, notice('No walk-forward backtest recorded yet. Run `signalbase backtest --walk-forward train=7d,test=1d --feed SPEC` against this store.'));
  }
  const s = run.summary ?? {};
  const days = (ms) => (typeof ms === 'number' ? `${+(ms / 86_400_000).toFixed(2)}d` : '?');
  return fill(
    el,
    h(
      'p',
      { class: 'small muted', id: 'backtest-summary' },
      `Recorded ${utc(run.recorded_at)} UTC · seed ${run.seed ?? '—'} · train ${days(run.plan?.train_ms)}, test ${days(run.plan?.test_ms)}, step ${days(run.plan?.step_ms)} · ` +
        `${num(s.folds, 0)} folds: ${num(s.promoted, 0)} promoted, ${num(s.refused, 0)} refused, ${num(s.failed, 0)} failed · ` +
        `${num(s.scored_signals, 0)} signals scored out of sample · ${num(s.drift_alarms, 0)} drift alarms`,
    ),
    overallTable(run.overall),
    h('h3', {}, 'Folds'),
    foldsTable(run.folds),
    h('p', { class: 'small muted' }, `Feed: ${run.feed}. Mean P/L and PF are after fees, over each fold's test window only; the gate's reason shows on hover.`),
  );
}
