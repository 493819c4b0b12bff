// The latest signals, newest on top, live from the stream, filterable by symbol. Outcomes fill in
// as the stream reports them.
import { fill, h, notice, num, pct, price, signedPct, utc } from './dom.js';

/** Signals kept in memory, and rows drawn (the newest matching the filter). */
const MAX_ROWS = 500;
const MAX_SHOWN = 300;

const OUTCOME_TEXT = { TP_HIT: 'TP hit', SL_HIT: 'SL hit', EXPIRED: 'expired', NO_TRADE: 'no trade' };

export class SignalsTable {
  constructor({ body, empty, count, filter }) {
    this.body = body;
    this.empty = empty;
    this.count = count;
    this.filter = filter;
    this.byId = new Map(); // id → { signal, row }
    this.order = []; // ids, oldest first
    this.live = 0;
    this.filter.addEventListener('change', () => this.render());
  }

  setSymbols(symbols) {
    const current = this.filter.value;
    fill(this.filter, h('option', { value: '' }, 'All symbols'), ...symbols.map((s) => h('option', { value: s }, s)));
    this.filter.value = symbols.includes(current) ? current : '';
  }

  /** Signals from GET /v1/signals (oldest first). */
  load(signals) {
    for (const s of signals) this.put(s, false);
    this.render();
  }

  /** A signal from the stream. */
  add(s) {
    if (this.byId.has(s.id)) return;
    this.live += 1;
    this.put(s, true);
    this.trim();
    this.render();
  }

  outcome(o) {
    const entry = this.byId.get(o.prediction_id);
    if (!entry) return;
    entry.signal.outcome = { outcome: o.outcome, exit_price: o.exit_price, profit_loss_pct: o.profit_loss_pct, outcome_time: o.outcome_time };
    entry.row = null;
    this.render();
  }

  put(s, fresh) {
    if (this.byId.has(s.id)) return;
    this.byId.set(s.id, { signal: s, row: null, fresh });
    this.order.push(s.id);
  }

  trim() {
    while (this.order.length > MAX_ROWS) this.byId.delete(this.order.shift());
  }

  rowOf(entry) {
    const s = entry.signal;
    const dir = s.predicted_direction;
    const o = s.outcome;
    const outcomeClass = o ? (o.outcome === 'TP_HIT' ? 'pos' : o.outcome === 'SL_HIT' ? 'neg' : 'muted') : 'muted';
    const row = h(
      'tr',
      { 'data-id': s.id, class: entry.fresh ? 'fresh' : null },
      h('td', { class: 'mono' }, utc(s.candle_time)),
      h('td', {}, s.symbol),
      h('td', {}, h('span', { class: `badge badge-${dir.toLowerCase()}` }, dir), s.recommendation === dir ? null : h('span', { class: 'muted small' }, ` ${s.recommendation.replace('_', ' ').toLowerCase()}`)),
      h('td', { class: 'num' }, pct(s.confidence_score, 0)),
      h('td', { class: 'num mono' }, price(s.entry_price)),
      h('td', { class: 'num mono' }, dir === 'HOLD' ? '—' : price(s.stop_loss)),
      h('td', { class: 'num mono' }, dir === 'HOLD' ? '—' : price(s.take_profit)),
      h('td', { class: 'mono small muted' }, s.model_version),
      h('td', { class: outcomeClass }, o ? `${OUTCOME_TEXT[o.outcome] ?? o.outcome}${dir === 'HOLD' ? '' : ` ${signedPct(o.profit_loss_pct)}`}` : 'open'),
    );
    if (entry.fresh) {
      // Flash once: a row re-inserted by a later render must not flash again.
      entry.fresh = false;
      setTimeout(() => row.classList.remove('fresh'), 1500);
    }
    row.title = `risk ${num(s.risk_score)} · weight ${num(s.signal_weight)} · position ×${num(s.position_multiplier)}`;
    return row;
  }

  render() {
    const want = this.filter.value;
    const rows = [];
    for (let i = this.order.length - 1; i >= 0 && rows.length < MAX_SHOWN; i--) {
      const entry = this.byId.get(this.order[i]);
      if (want && entry.signal.symbol !== want) continue;
      entry.row ??= this.rowOf(entry);
      rows.push(entry.row);
    }
    fill(this.body, ...rows);
    this.body.dataset.rows = String(rows.length);
    this.count.textContent = `${rows.length} shown · ${this.live} live since the page opened`;
    fill(this.empty, rows.length ? null : notice(want ? `No signals for ${want} yet — the replay is warming up (indicators need 49 candles).` : 'No signals yet — the replay is warming up (indicators need 49 candles).'));
  }
}
