// The active model card (version, backend, test metrics beside the baselines, when trained, the
// gate's verdict), the version history, and the "Request retrain" button.
import { ApiFailure } from './api.js';
import { fill, h, notice, num, pct, shortUtc, utc } from './dom.js';

const ROWS = [
  ['Macro F1', 'f1_macro', (x) => num(x, 3)],
  ['Accuracy', 'accuracy', (x) => pct(x)],
  ['Precision BUY', 'precision_buy', (x) => pct(x)],
  ['Precision SELL', 'precision_sell', (x) => pct(x)],
  ['Win rate', 'win_rate', (x) => pct(x)],
  ['Profit factor', 'profit_factor', (x) => num(x)],
  ['Avg P/L per trade', 'avg_profit_per_trade', (x) => (typeof x === 'number' ? `${num(x)}%` : '—')],
  ['Max drawdown', 'max_drawdown', (x) => (typeof x === 'number' ? `${num(x)}%` : '—')],
  ['Sharpe', 'sharpe', (x) => num(x)],
  ['Trades', 'trades', (x) => num(x, 0)],
];

const FINAL = new Set(['DONE', 'FAILED', 'SKIPPED']);

function metricsTable(m) {
  const cols = [m.metrics, m.baselines?.always_hold, m.baselines?.rules];
  return h(
    'table',
    { class: 'grid metrics' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Test window'), h('th', { scope: 'col', class: 'num' }, 'Model'), h('th', { scope: 'col', class: 'num' }, 'Always HOLD'), h('th', { scope: 'col', class: 'num' }, 'Rules'))),
    h('tbody', {}, ...ROWS.map(([label, key, f]) => h('tr', {}, h('th', { scope: 'row' }, label), ...cols.map((c, i) => h('td', { class: `num mono${i === 0 ? ' strong' : ''}` }, f(c?.[key])))))),
  );
}

function gateLine(m) {
  if (!m.gate) return h('p', { class: 'muted' }, 'Gate: not evaluated.');
  return h('p', { class: 'verdict' }, h('span', { class: `badge ${m.gate.pass ? 'badge-buy' : 'badge-sell'}` }, m.gate.pass ? 'GATE PASSED' : 'GATE REFUSED'), ' ', h('span', { class: 'small' }, m.gate.reason));
}

export class ModelPanel {
  constructor({ card, history, button, force, result }, api) {
    this.card = card;
    this.history = history;
    this.button = button;
    this.force = force;
    this.result = result;
    this.api = api;
    this.polling = null;
    button.addEventListener('click', () => void this.requestRetrain());
  }

  show(payload) {
    const models = payload.models;
    const active = models.find((m) => m.is_active);
    if (!active) {
      fill(this.card, notice(models.length ? 'No model is active: signals come from the weighted rule consensus ("rules"). Versions trained so far are listed below.' : 'No model trained yet: signals come from the weighted rule consensus ("rules"). Request a retrain to train one.'));
    } else {
      fill(
        this.card,
        h(
          'dl',
          { class: 'facts' },
          h('dt', {}, 'Version'), h('dd', { class: 'mono', id: 'model-version' }, active.version),
          h('dt', {}, 'Backend'), h('dd', {}, active.backend ?? '—'),
          h('dt', {}, 'Trained'), h('dd', {}, `${utc(active.trained_at)} UTC`),
          h('dt', {}, 'Samples'), h('dd', {}, `${num(active.samples.training, 0)} train · ${num(active.samples.validation, 0)} validation`),
        ),
        gateLine(active),
        metricsTable(active),
      );
    }
    fill(
      this.history,
      models.length === 0
        ? notice('No versions yet.')
        : h(
            'table',
            { class: 'grid' },
            h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Version'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'num' }, 'F1'), h('th', { scope: 'col', class: 'num' }, 'PF'), h('th', { scope: 'col' }, 'Trained'))),
            h(
              'tbody',
              {},
              ...models.slice(0, 12).map((m) =>
                h(
                  'tr',
                  { title: m.status_reason ?? '' },
                  h('td', { class: 'mono small' }, m.version),
                  h('td', {}, h('span', { class: `status status-${m.status}` }, m.status)),
                  h('td', { class: 'num mono' }, num(m.metrics?.f1_macro, 3)),
                  h('td', { class: 'num mono' }, num(m.metrics?.profit_factor)),
                  h('td', { class: 'mono small' }, shortUtc(m.trained_at)),
                ),
              ),
            ),
          ),
    );
  }

  async requestRetrain() {
    this.button.disabled = true;
    fill(this.result, notice('Sending the request…', 'info'));
    try {
      const r = await this.api.post('/v1/retrain', { reason: 'requested from the dashboard', ...(this.force.checked ? { force: true } : {}) });
      this.track(r.request_id);
    } catch (err) {
      this.button.disabled = false;
      const text = err instanceof ApiFailure && err.status === 403 ? `Retraining needs an admin key (403). ${err.message.replace(/^This key may not do that \(403\): /, '')}` : err.message;
      fill(this.result, notice(text, 'error'));
    }
  }

  /** Polls GET /v1/retrain/:id until the request is DONE, FAILED or SKIPPED. */
  track(id) {
    clearTimeout(this.polling);
    const tick = async () => {
      let r;
      try {
        r = await this.api.get(`/v1/retrain/${encodeURIComponent(id)}`);
      } catch (err) {
        fill(this.result, this.describe(id, null, err.message));
        this.polling = setTimeout(tick, 5000);
        return;
      }
      fill(this.result, this.describe(id, r));
      if (FINAL.has(r.status)) {
        this.button.disabled = false;
        this.onFinished?.();
      } else {
        this.polling = setTimeout(tick, 2000);
      }
    };
    void tick();
  }

  describe(id, r, error) {
    const status = r?.status ?? 'unknown';
    const detail = !r
      ? error
      : status === 'DONE'
        ? `model ${r.model_version ?? '—'}`
        : status === 'FAILED'
          ? r.error ?? 'failed'
          : status === 'SKIPPED'
            ? r.error ?? 'skipped (a model was trained recently; tick "force")'
            : status === 'RUNNING'
              ? 'training…'
              : 'waiting for the leader to claim it';
    return h(
      'div',
      { class: 'retrain-status', id: 'retrain-status', 'data-status': status },
      h('span', { class: 'muted' }, 'Request '),
      h('span', { class: 'mono', id: 'retrain-id' }, id),
      h('span', { class: `badge status-${status.toLowerCase()}` }, status),
      h('span', { class: 'small' }, detail),
    );
  }
}
