// Drift: scores over time with the PSI threshold drawn, and the last drift records.
import { DriftChart } from './chart.js';
import { fill, h, notice, num, utc } from './dom.js';

export class DriftPanel {
  constructor({ chartEl, table, empty }) {
    this.chartEl = chartEl;
    this.table = table;
    this.empty = empty;
    this.chart = null;
  }

  show(records) {
    if (records.length === 0) {
      this.chartEl.hidden = true;
      fill(this.table);
      fill(this.empty, notice('No drift checks yet — they run on DRIFT_CRON against the active model, and need resolved signals to compare.'));
      return;
    }
    this.chartEl.hidden = false;
    fill(this.empty);
    this.chart ??= new DriftChart(this.chartEl);
    this.chart.set(records);
    const last = records.slice(-8).reverse();
    fill(
      this.table,
      h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ...['Checked (UTC)', 'Status', 'Data', 'Pred.', 'Perf.', 'Action'].map((t, i) => h('th', { scope: 'col', class: i >= 2 && i <= 4 ? 'num' : null }, t)))),
        h(
          'tbody',
          {},
          ...last.map((r) =>
            h(
              'tr',
              {},
              h('td', { class: 'mono small' }, utc(r.created_at)),
              h('td', {}, h('span', { class: `status status-${r.drift_detected ? 'drift' : r.status}` }, r.drift_detected ? 'DRIFT' : r.status)),
              h('td', { class: 'num mono' }, num(r.data_drift_score, 3)),
              h('td', { class: 'num mono' }, num(r.prediction_drift_score, 3)),
              h('td', { class: 'num mono' }, num(r.performance_drift_score, 3)),
              h('td', { class: 'small' }, r.action_taken),
            ),
          ),
        ),
      ),
    );
  }
}
