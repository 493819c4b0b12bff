// The candle chart (one symbol at a time) with signal and outcome markers, and the drift chart with
// its thresholds drawn. lightweight-charts is served by the daemon at /vendor/ (standalone build).
import { CandlestickSeries, ColorType, LineSeries, LineStyle, createChart, createSeriesMarkers } from '/vendor/lightweight-charts.mjs';
import { timeframeMs } from './dom.js';

const COLORS = {
  bg: '#0b0f14',
  text: '#8b98a8',
  grid: '#161d26',
  border: '#222b36',
  up: '#26a69a',
  down: '#ef5350',
  buy: '#2ea043',
  sell: '#f85149',
  tp: '#3fb950',
  sl: '#ff7b72',
};

function baseOptions() {
  return {
    autoSize: true,
    layout: { background: { type: ColorType.Solid, color: COLORS.bg }, textColor: COLORS.text, fontSize: 11, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace' },
    grid: { vertLines: { color: COLORS.grid }, horzLines: { color: COLORS.grid } },
    rightPriceScale: { borderColor: COLORS.border },
    timeScale: { borderColor: COLORS.border, timeVisible: true, secondsVisible: false },
    crosshair: { mode: 0 },
  };
}

/** Decimals that show a price's movement: 0.016934 → 6, 43210.5 → 2. */
function precisionFor(p) {
  if (!(p > 0)) return 2;
  if (p >= 1000) return 2;
  if (p >= 1) return 4;
  return Math.min(10, 2 - Math.floor(Math.log10(p)) + 2);
}

export class CandleChart {
  constructor(el) {
    this.el = el;
    this.chart = createChart(el, baseOptions());
    this.series = this.chart.addSeries(CandlestickSeries, {
      upColor: COLORS.up,
      downColor: COLORS.down,
      borderUpColor: COLORS.up,
      borderDownColor: COLORS.down,
      wickUpColor: COLORS.up,
      wickDownColor: COLORS.down,
    });
    this.markers = createSeriesMarkers(this.series, []);
    this.symbol = null;
    this.timeframe = null;
    this.bars = new Map(); // time (s) → bar
    this.signalMarks = new Map(); // signal id → marker
    this.outcomeMarks = new Map(); // signal id → marker
  }

  /** Starts over for a symbol: bars and markers of the previous one go. */
  reset(symbol) {
    this.symbol = symbol;
    this.timeframe = null;
    this.bars.clear();
    this.signalMarks.clear();
    this.outcomeMarks.clear();
    this.series.setData([]);
    this.markers.setMarkers([]);
    this.el.dataset.candles = '0';
  }

  /** Bars from GET /v1/candles (oldest first); merges with what is shown. */
  setCandles(payload) {
    if (payload.symbol !== this.symbol) return;
    const first = this.bars.size === 0;
    this.timeframe = payload.timeframe;
    for (const c of payload.candles) this.bars.set(c.time, { time: c.time, open: c.open, high: c.high, low: c.low, close: c.close });
    const data = [...this.bars.values()].sort((a, b) => a.time - b.time);
    if (first && data.length) {
      const precision = precisionFor(data.at(-1).close);
      this.series.applyOptions({ priceFormat: { type: 'price', precision, minMove: 10 ** -precision } });
    }
    this.series.setData(data);
    this.el.dataset.candles = String(data.length);
    this.redrawMarkers();
    if (first && data.length) this.chart.timeScale().fitContent();
  }

  /** The newest bar shown, or null. */
  lastBar() {
    let last = null;
    for (const b of this.bars.values()) if (!last || b.time > last.time) last = b;
    return last;
  }

  addSignal(s) {
    if (s.symbol !== this.symbol) return;
    if (s.predicted_direction === 'BUY' || s.predicted_direction === 'SELL') {
      const buy = s.predicted_direction === 'BUY';
      this.signalMarks.set(s.id, {
        time: Math.floor(Date.parse(s.candle_time) / 1000),
        position: buy ? 'belowBar' : 'aboveBar',
        shape: buy ? 'arrowUp' : 'arrowDown',
        color: buy ? COLORS.buy : COLORS.sell,
        size: 0.8,
      });
    }
    if (s.outcome) this.addOutcome({ prediction_id: s.id, symbol: s.symbol, timeframe: s.timeframe, ...s.outcome });
  }

  /** TP/SL at the candle the trade closed in (outcome_time is that candle's close). */
  addOutcome(o) {
    if (o.symbol !== this.symbol || (o.outcome !== 'TP_HIT' && o.outcome !== 'SL_HIT')) return;
    const closeMs = Date.parse(o.outcome_time);
    const tf = timeframeMs(o.timeframe ?? this.timeframe);
    const tp = o.outcome === 'TP_HIT';
    this.outcomeMarks.set(o.prediction_id, {
      time: Math.floor((closeMs - tf) / 1000),
      position: tp ? 'aboveBar' : 'belowBar',
      shape: 'circle',
      color: tp ? COLORS.tp : COLORS.sl,
      size: 0.5,
    });
  }

  /** Markers only on bars the chart has, sorted by time (the library requires it). */
  redrawMarkers() {
    const all = [...this.signalMarks.values(), ...this.outcomeMarks.values()].filter((m) => this.bars.has(m.time));
    all.sort((a, b) => a.time - b.time);
    this.markers.setMarkers(all);
    this.el.dataset.markers = String(all.length);
  }
}

const DRIFT_LINES = [
  { key: 'data_drift_score', title: 'data PSI', color: '#58a6ff' },
  { key: 'prediction_drift_score', title: 'prediction PSI', color: '#d2a8ff' },
  { key: 'performance_drift_score', title: 'performance', color: '#f0883e' },
];

export class DriftChart {
  constructor(el) {
    this.chart = createChart(el, { ...baseOptions(), handleScroll: false, handleScale: false });
    // Named in the panel's legend: axis labels for three lines and a threshold would overlap.
    this.lines = DRIFT_LINES.map((l) => ({ ...l, series: this.chart.addSeries(LineSeries, { color: l.color, lineWidth: 2, priceLineVisible: false, lastValueVisible: false, pointMarkersVisible: true }) }));
    this.thresholds = [];
  }

  /** Records oldest first (GET /v1/drift); `psi` threshold drawn as a dashed line (DESIGN.md: PSI ≥ 0.2). */
  set(records) {
    for (const l of this.lines) {
      const points = new Map();
      for (const r of records) {
        const v = r[l.key];
        if (typeof v === 'number' && Number.isFinite(v)) points.set(Math.floor(Date.parse(r.created_at) / 1000), v);
      }
      l.series.setData([...points].sort((a, b) => a[0] - b[0]).map(([time, value]) => ({ time, value })));
    }
    const psi = records.at(-1)?.thresholds?.psi ?? 0.2;
    for (const t of this.thresholds) this.lines[0].series.removePriceLine(t);
    this.thresholds = [
      this.lines[0].series.createPriceLine({ price: psi, color: '#e3b341', lineWidth: 1, lineStyle: LineStyle.Dashed, axisLabelVisible: true, title: `PSI ${psi}` }),
    ];
    this.chart.timeScale().fitContent();
  }
}
