// The live scorecard of the active model (GET /v1/scorecard), beside what its test window promised:
// per symbol and over all symbols, trades, hit rate, mean net P/L per trade with its bootstrap 95%
// interval, profit factor, max drawdown, Brier and ECE of the traded side.
import { fill, h, notice, num, pct } from './dom.js';

const pnl = (x) => (typeof x === 'number' ? `${num(x, 3)}%` : '—');
const ci = (r) => (typeof r.mean_pnl_ci_low === 'number' ? `[${num(r.mean_pnl_ci_low, 3)}, ${num(r.mean_pnl_ci_high, 3)}]` : '—');

/** `rows`: the scorecard rows of one model (symbol rows, then its '*' row); `active`: its /v1/models entry. */
export function renderScorecard(el, rows, active) {
  const live = rows.filter((r) => r.model_version !== '*');
  if (!active) return fill(el, notice('No model is active: the scorecard follows the active model once one serves.'));
  if (live.length === 0 || live.every((r) => r.signals === 0)) return fill(el, notice(`No live signals of ${active.version} yet.`));
  const test = active.metrics ?? {};
  const sel = active.selection;
  return fill(
    el,
    h(
      'p',
      { class: 'small muted' },
      `Test window promised: ${pnl(test.avg_profit_per_trade)} a trade over ${num(test.trades, 0)} trades, profit factor ${num(test.profit_factor)}` +
        (sel ? `; BUY/SELL need a calibrated probability ≥ ${num(sel.threshold, 2)} (chosen on validation)` : '') +
        (active.calibration ? `; test ECE ${num(active.calibration.ece, 3)}` : '') +
        '.',
    ),
    h(
      'table',
      { class: 'grid', id: 'scorecard-table' },
      h(
        'thead',
        {},
        h('tr', {}, ...['Symbol', 'Signals', 'Trades', 'Hit rate', 'Mean P/L', '95% CI', 'PF', 'Max DD', 'Brier', 'ECE'].map((c, i) => h('th', { scope: 'col', class: i ? 'num' : '' }, c))),
      ),
      h(
        'tbody',
        {},
        ...live.map((r) =>
          h(
            'tr',
            { class: r.symbol === '*' ? 'strong' : '' },
            h('th', { scope: 'row' }, r.symbol === '*' ? 'All symbols' : r.symbol),
            ...[num(r.signals, 0), num(r.trades, 0), pct(r.hit_rate), pnl(r.mean_pnl_pct), ci(r), num(r.profit_factor), pnl(r.max_drawdown_pct), num(r.brier, 3), num(r.ece, 3)].map((v) =>
              h('td', { class: 'num mono' }, v),
            ),
          ),
        ),
      ),
    ),
  );
}
