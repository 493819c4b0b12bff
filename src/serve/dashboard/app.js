// The operator's dashboard: entry point. The API key is entered once and kept in sessionStorage
// (gone when the tab closes; never localStorage, never the page URL). Everything else is read from
// the daemon's read-only routes and kept current by /v1/stream, with slow polls as a safety net.
import { Api, ApiFailure } from './api.js';
import { renderBacktests } from './backtests.js';
import { CandleChart } from './chart.js';
import { $, fill, h, notice, price, utc } from './dom.js';
import { DriftPanel } from './drift.js';
import { renderHealth } from './health.js';
import { ModelPanel } from './model.js';
import { renderScorecard } from './scorecard.js';
import { SignalsTable } from './signals.js';
import { LiveStream } from './stream.js';

const KEY_SLOT = 'signalbase.key';
const SYMBOL_SLOT = 'signalbase.symbol';
/** A message for the key form that survives the reload after a key is refused or forgotten. */
const NOTICE_SLOT = 'signalbase.notice';
// Request budget (keys default to 1,000 requests an hour): health 240/h, models and drift 60/h, and
// candles at most 1,200/h during a fast replay, 12/h on a live 5 m feed.
const HEALTH_EVERY_MS = 15_000;
const SLOW_EVERY_MS = 120_000;
/** New candles are fetched at most this often while signals for the shown symbol arrive. */
const CANDLES_EVERY_MS = 3_000;

const ui = {
  gate: $('#key-gate'),
  form: $('#key-form'),
  keyInput: $('#api-key'),
  keyError: $('#key-error'),
  main: $('#dashboard'),
  banner: $('#banner'),
  forget: $('#forget-key'),
  symbol: $('#symbol'),
  streamState: $('#stream-state'),
  chartTitle: $('#chart-title'),
  chartLast: $('#chart-last'),
  chart: $('#chart'),
  chartEmpty: $('#chart-empty'),
  health: $('#health'),
};

function showBanner(text) {
  ui.banner.hidden = !text;
  ui.banner.textContent = text ?? '';
}

function showGate(message) {
  ui.main.hidden = true;
  ui.forget.hidden = true;
  ui.gate.hidden = false;
  ui.keyError.textContent = message ?? '';
  ui.keyInput.focus();
}

/** The running dashboard for one key; a refused or forgotten key reloads the page. */
class Dashboard {
  constructor(key) {
    this.key = key;
    this.timers = [];
    this.stopped = false;
    this.api = new Api(key, () => this.refused());
    this.chart = new CandleChart(ui.chart);
    this.candlesDirty = false;
    this.table = new SignalsTable({ body: $('#signals-body'), empty: $('#signals-empty'), count: $('#signals-count'), filter: $('#signals-filter') });
    this.model = new ModelPanel({ card: $('#model-card'), history: $('#model-history'), button: $('#retrain'), force: $('#retrain-force'), result: $('#retrain-result') }, this.api);
    this.model.onFinished = () => void this.refreshModels();
    this.drift = new DriftPanel({ chartEl: $('#drift-chart'), legend: $('#drift-legend'), table: $('#drift-table'), empty: $('#drift-empty'), button: $('#drift-check'), result: $('#drift-result') }, this.api);
    this.drift.onChecked = () => void this.refreshDrift();
    ui.symbol.addEventListener('change', () => void this.selectSymbol(ui.symbol.value));
  }

  async start(status) {
    ui.gate.hidden = true;
    ui.main.hidden = false;
    ui.forget.hidden = false;
    renderHealth(ui.health, status);
    const symbols = status.symbols;
    fill(ui.symbol, ...symbols.map((s) => h('option', { value: s }, s)));
    this.table.setSymbols(symbols);
    const remembered = sessionStorage.getItem(SYMBOL_SLOT);
    const first = symbols.includes(remembered) ? remembered : symbols[0];
    if (first) ui.symbol.value = first;
    else fill(ui.chartEmpty, notice('This instance handles no symbol (check SYMBOLS and SHARD).'));

    const since = await this.loadSignals();
    await Promise.all([first ? this.selectSymbol(first) : null, this.refreshModels(), this.refreshDrift(), this.refreshBacktests()]);
    this.stream = new LiveStream({ key: this.key, since, onMessage: (m) => this.onMessage(m), onState: (s, d) => this.onStreamState(s, d) });
    this.stream.start();
    this.every(HEALTH_EVERY_MS, () => this.refreshHealth());
    this.every(SLOW_EVERY_MS, () => Promise.all([this.refreshModels(), this.refreshDrift(), this.refreshBacktests()]));
    this.every(CANDLES_EVERY_MS, () => (this.candlesDirty ? this.refreshCandles(50) : null));
  }

  stop() {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    this.stream?.stop();
  }

  every(ms, fn) {
    this.timers.push(setInterval(() => void this.guard(fn), ms));
  }

  /** Runs a refresh; a failure shows in the banner instead of an unhandled rejection. */
  async guard(fn) {
    try {
      await fn();
      if (ui.banner.dataset.source === 'poll') showBanner(null);
    } catch (err) {
      if (this.stopped) return;
      ui.banner.dataset.source = 'poll';
      showBanner(err instanceof ApiFailure ? err.message : `Unexpected error: ${err?.message ?? err}`);
    }
  }

  refused() {
    this.stop();
    restart('The key was refused (401): it is unknown, revoked or expired. Enter another key.');
  }

  /** The latest signals for the table; returns where the stream should resume from. */
  async loadSignals() {
    const { signals } = await this.api.get('/v1/signals?limit=100');
    this.table.load(signals);
    // With nothing stored yet, resume from the beginning so signals stored meanwhile are not missed.
    return signals.at(-1)?.id ?? '1970-01-01T00:00:00.000Z';
  }

  async selectSymbol(symbol) {
    sessionStorage.setItem(SYMBOL_SLOT, symbol);
    this.chart.reset(symbol);
    ui.chartTitle.textContent = symbol;
    await this.guard(async () => {
      const [candles, { signals }] = await Promise.all([
        this.api.get(`/v1/candles/${encodeURIComponent(symbol)}?limit=500`),
        this.api.get(`/v1/signals?symbol=${encodeURIComponent(symbol)}&limit=500`),
      ]);
      if (this.chart.symbol !== symbol) return; // another symbol was picked meanwhile
      ui.chartTitle.textContent = `${symbol} · ${candles.timeframe}`;
      for (const s of signals) this.chart.addSignal(s);
      this.chart.setCandles(candles);
      this.showChartState();
    });
  }

  async refreshCandles(limit) {
    const symbol = this.chart.symbol;
    if (!symbol) return;
    this.candlesDirty = false;
    const candles = await this.api.get(`/v1/candles/${encodeURIComponent(symbol)}?limit=${limit}`);
    this.chart.setCandles(candles);
    this.showChartState();
  }

  showChartState() {
    const n = Number(ui.chart.dataset.candles ?? 0);
    const last = this.chart.lastBar();
    fill(ui.chartLast, last ? h('span', { class: last.close >= last.open ? 'pos' : 'neg' }, price(last.close)) : null, last ? h('span', { class: 'muted' }, `  last candle ${utc(new Date(last.time * 1000).toISOString())} UTC`) : null);
    fill(ui.chartEmpty, n ? null : notice(`No candles stored for ${this.chart.symbol} yet — the feed is starting.`));
  }

  async refreshHealth() {
    renderHealth(ui.health, await this.api.get('/v1/status'));
  }

  async refreshModels() {
    await this.once('models', async () => {
      const models = await this.api.get('/v1/models');
      this.model.show(models);
      this.drift.setModelActive(models.active_version !== null);
      const active = models.models.find((m) => m.is_active) ?? null;
      const card = active ? await this.api.get(`/v1/scorecard?model=${encodeURIComponent(active.version)}`) : { rows: [] };
      renderScorecard($('#scorecard'), card.rows, active);
    });
  }

  async refreshDrift() {
    await this.once('drift', async () => this.drift.show((await this.api.get('/v1/drift?limit=100')).drift));
  }

  async refreshBacktests() {
    await this.once('backtests', async () => renderBacktests($('#backtests'), (await this.api.get('/v1/backtests?limit=1')).backtests));
  }

  /** One refresh of a kind at a time: a stream event and a button landing together make one request. */
  async once(kind, fn) {
    this.loading ??= new Set();
    if (this.loading.has(kind)) return;
    this.loading.add(kind);
    try {
      await this.guard(fn);
    } finally {
      this.loading.delete(kind);
    }
  }

  onMessage(msg) {
    switch (msg.type) {
      case 'signal':
        this.table.add(msg.data);
        this.chart.addSignal(msg.data);
        if (msg.data.symbol === this.chart.symbol) this.candlesDirty = true;
        break;
      case 'outcome':
        this.table.outcome(msg.data);
        this.chart.addOutcome(msg.data);
        if (msg.data.symbol === this.chart.symbol) this.candlesDirty = true;
        break;
      case 'model':
        void this.refreshModels();
        void this.guard(() => this.refreshHealth());
        break;
      case 'drift':
        void this.refreshDrift();
        break;
      case 'error':
        ui.banner.dataset.source = 'stream';
        showBanner(`The stream reported ${msg.code}: ${msg.message}`);
        break;
    }
  }

  onStreamState(state, detail) {
    if (state === 'live') void this.guard(() => this.refreshHealth()); // the subscriber count now includes this page
    ui.streamState.className = `pill pill-${state}`;
    ui.streamState.textContent = state === 'live' ? 'Stream live' : state === 'connecting' ? 'Connecting…' : `Stream ${detail ?? state}`;
  }
}

let current = null;

/** Forgets the key and reloads: a clean page for the next key. */
function restart(message) {
  sessionStorage.removeItem(KEY_SLOT);
  sessionStorage.setItem(NOTICE_SLOT, message);
  location.reload();
}

/** Checks the key with GET /v1/status before building anything, then starts the dashboard. */
async function open(key) {
  let status;
  try {
    status = await new Api(key).get('/v1/status');
  } catch (err) {
    if (err instanceof ApiFailure && err.status === 401) sessionStorage.removeItem(KEY_SLOT);
    showGate(err instanceof ApiFailure ? err.message : `The dashboard could not start: ${err?.message ?? err}`);
    return;
  }
  current = new Dashboard(key);
  try {
    await current.start(status);
  } catch (err) {
    showBanner(err instanceof ApiFailure ? err.message : `The dashboard could not load: ${err?.message ?? err}`);
  }
}

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  const key = ui.keyInput.value.trim();
  if (!key) {
    ui.keyError.textContent = 'Enter an API key (signalbase keys create --type stream, or admin to request retrains).';
    return;
  }
  ui.keyError.textContent = '';
  sessionStorage.setItem(KEY_SLOT, key);
  ui.keyInput.value = '';
  void open(key);
});

ui.forget.addEventListener('click', () => {
  current?.stop();
  restart('The key was forgotten. Enter a key to continue.');
});

const saved = sessionStorage.getItem(KEY_SLOT);
const pending = sessionStorage.getItem(NOTICE_SLOT);
sessionStorage.removeItem(NOTICE_SLOT);
if (saved) void open(saved);
else showGate(pending ?? '');
