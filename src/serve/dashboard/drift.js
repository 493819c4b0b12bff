// Drift: scores over time with the PSI threshold drawn, and the last drift records.
import { ApiFailure } from './api.js';
import { DriftChart } from './chart.js';
import { fill, h, notice, num, shortUtc } from './dom.js';

const STATUS_TEXT = { ok: 'ok', drift: 'DRIFT', insufficient_data: 'too little data', no_reference: 'no reference' };
const statusBadge = (r) => {
  const s = r.drift_detected ? 'drift' : r.status;
  return h('span', { class: `status status-${s}` }, STATUS_TEXT[s] ?? s);
};
const hasScore = (r) => [r.data_drift_score, r.prediction_drift_score, r.performance_drift_score].some((v) => typeof v === 'number');

export class DriftPanel {
  constructor({ chartEl, legend, table, empty, button, result }, api) {
    this.chartEl = chartEl;
    this.legend = legend;
    this.table = table;
    this.empty = empty;
    this.button = button;
    this.result = result;
    this.api = api;
    this.chart = null;
    button.addEventListener('click', () => void this.checkNow());
  }

  /** A check needs an active model to compare with; without one the button says so instead of a 409. */
  setModelActive(active) {
    this.button.disabled = !active;
    this.button.title = active ? 'Run one drift check now (admin key)' : 'No model is active yet: nothing to check for drift';
  }

  /** POST /v1/drift/check (admin key): one check against the active model, recorded like a scheduled one. */
  async checkNow() {
    this.button.disabled = true;
    fill(this.result, notice('Checking…', 'info'));
    try {
      const r = await this.api.post('/v1/drift/check');
      fill(this.result, h('p', { class: 'small drift-summary', id: 'drift-summary', 'data-status': r.status }, statusBadge(r), ` ${r.summary ?? ''}`));
      this.onChecked?.();
    } catch (err) {
      const text =
        err instanceof ApiFailure && err.status === 409
          ? 'No model is active yet: there is nothing to check for drift.'
          : err instanceof ApiFailure && err.status === 403
            ? 'Drift checks need an admin key (403).'
            : err.message;
      fill(this.result, notice(text, 'error'));
    } finally {
      this.button.disabled = false; // the next models refresh disables it again if no model is active
    }
  }

  show(records) {
    if (records.length === 0) {
      this.chartEl.hidden = true;
      fill(this.table);
      fill(this.empty, notice('No drift checks yet — they run on DRIFT_CRON against the active model (or press "Check now" with an admin key).'));
      return;
    }
    fill(this.empty);
    // Checks without enough data record no score: nothing to draw.
    const scored = records.filter(hasScore);
    this.chartEl.hidden = scored.length === 0;
    this.legend.hidden = scored.length === 0;
    if (scored.length) {
      this.chart ??= new DriftChart(this.chartEl);
      this.chart.set(scored);
    }
    const last = records.slice(-8).reverse();
    fill(
      this.table,
      h(
        'table',
        { class: 'grid' },
        h('thead', {}, h('tr', {}, ...['Checked', 'Status', 'Data', 'Pred.', 'Perf.'].map((t, i) => h('th', { scope: 'col', class: i >= 2 ? 'num' : null }, t)))),
        h(
          'tbody',
          {},
          ...last.map((r) =>
            h(
              'tr',
              { title: `action: ${r.action_taken}` },
              h('td', { class: 'mono small' }, shortUtc(r.created_at)),
              h('td', {}, statusBadge(r)),
              h('td', { class: 'num mono' }, num(r.data_drift_score, 3)),
              h('td', { class: 'num mono' }, num(r.prediction_drift_score, 3)),
              h('td', { class: 'num mono' }, num(r.performance_drift_score, 3)),
            ),
          ),
        ),
      ),
    );
  }
}
