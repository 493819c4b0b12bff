/**
 * The training set built from stored candles (DESIGN.md "Models", "Barriers"). Per series, oldest first:
 *
 *   buildFeatureMatrix      → raw and transformed N×17 rows, the same code as the live path
 *   tripleBarrierLabels     → the label of each candle, ATR(14) at that candle, config barrier params
 *   sample at row i         ⇔ rows i−T+1 .. i are all ready (every indicator has a value) AND the
 *                             label exists (horizon candles follow i in the series)
 *
 * Series are laid out contiguously in one rows buffer; a window never leaves its series. The split
 * is made on sample time across all series (splitByTime), purged by the longest label span found
 * (≥ horizon × timeframe; a gap in a series stretches a label over more wall time). The scaler is fitted
 * on the rows the training windows read, and only those; then every row is encoded with
 * FeaturePipeline(scaler, weight snapshot) for the configured FEATURES.
 *
 * Gaps (a replay file's missing steps): windows and labels simply run over the candles that exist,
 * as the indicators do live. A window that spans a gap is kept; it looks like a slightly longer
 * stretch of market, which is what the live path sees after such a gap as well.
 *
 * Kept beside the encoded dataset for evaluation: the transformed rows (to encode them again with
 * another model's pipeline), the raw values and candle close/volume (for the rule consensus
 * baseline), and each sample's barrier P/L for a BUY and a SELL (for the trading simulation).
 */
import { checkParams, tripleBarrierLabels, type BarrierParams } from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import { IndicatorSet } from '../features/indicator-set.ts';
import { buildFeatureMatrix } from '../features/matrix.ts';
import { FeaturePipeline } from '../features/pipeline.ts';
import { Scaler } from '../features/scaler.ts';
import { selectFeatures } from '../features/transforms.ts';
import type { IndicatorWeights } from '../features/weights.ts';
import { classIndex } from './classes.ts';
import { validateDataset, type WindowDataset } from './dataset.ts';
import { DatasetError } from './errors.ts';
import { classWeights, splitByTime, type SplitOptions, type TimeSplit } from './split.ts';

/** Identifies the transforms of src/features/transforms.ts a model's rows went through. */
export const TRANSFORMS_ID = 'stationary-v1';
export const DEFAULT_TIMESTEPS = 60;
const COLS = INDICATOR_COLUMNS.length;
const ATR_COL = INDICATOR_COLUMNS.indexOf('atr_value');

export interface SeriesCandles {
  symbol: string;
  timeframe: Timeframe;
  /** Oldest first, one series. */
  candles: readonly Candle[];
}

export interface TrainingSetOptions {
  features: readonly string[];
  barrier: BarrierParams;
  /** The indicator weight snapshot the rows are multiplied by (store.getWeights()). */
  weights: IndicatorWeights;
  timesteps?: number;
  split?: Omit<SplitOptions, 'horizonMs'>;
}

export interface SeriesBlock {
  symbol: string;
  timeframe: Timeframe;
  /** Global row of the series' first candle, and how many rows it has. */
  firstRow: number;
  rows: number;
  /** Global row of its first ready row (all 17 indicators have values); −1 if never ready. */
  readyRow: number;
  samples: number;
}

export interface TrainingSet {
  /** The model's input: rows encoded with `pipeline`, samples, labels and times. */
  dataset: WindowDataset;
  pipeline: FeaturePipeline;
  split: TimeSplit;
  classWeights: [number, number, number];
  timeframe: Timeframe;
  /** The purge gap used between splits (ms). */
  horizonMs: number;
  series: SeriesBlock[];
  barrier: BarrierParams;
  weights: IndicatorWeights;
  /** Per row (all series): transformed values N×17, raw values N×17 (NaN while warming up), close, volume. */
  transformed: Float32Array;
  raw: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  /** Per row: the global row where its series becomes ready (windows of any T start there or later). */
  readyFrom: Int32Array;
  /** Per sample: net P/L (%) of a BUY / SELL opened on its candle, and the open time of its label's last candle. */
  buyPnlPct: Float64Array;
  sellPnlPct: Float64Array;
  labelEnd: Float64Array;
}

/** A dataset over the same samples for another pipeline (another model's features, scaler, weights). */
export function encodeFor(set: TrainingSet, pipeline: FeaturePipeline, timesteps: number): WindowDataset {
  const rowCount = set.readyFrom.length;
  const rows = pipeline.encodeRows(set.transformed, 0, rowCount);
  return { ...set.dataset, timesteps, featureCount: pipeline.width, featureNames: [...pipeline.features], rows };
}

/** Whether sample `s`'s window of `timesteps` rows stays within ready rows of its own series. */
export function windowFits(set: TrainingSet, s: number, timesteps: number): boolean {
  const end = set.dataset.ends[s]!;
  return end - timesteps + 1 >= set.readyFrom[end]!;
}

export function buildTrainingSet(input: readonly SeriesCandles[], opts: TrainingSetOptions): TrainingSet {
  const T = opts.timesteps ?? DEFAULT_TIMESTEPS;
  if (!Number.isInteger(T) || T < 1) throw new RangeError(`timesteps must be a positive integer, got ${T}`);
  checkParams(opts.barrier);
  const features = selectFeatures(opts.features);
  const series = [...input].filter((s) => s.candles.length > 0);
  if (series.length === 0) {
    throw new DatasetError('DATASET_TOO_SMALL', 'too little history to train: no candles; replay or backfill candles first (signalbase train --feed ...)', {
      series: 0,
    });
  }
  const timeframe = series[0]!.timeframe;
  const mixed = series.find((s) => s.timeframe !== timeframe);
  if (mixed) {
    throw new DatasetError('DATASET_SHAPE', `one training set holds one timeframe; got ${timeframe} and ${mixed.timeframe} (${mixed.symbol}): set TIMEFRAME`, {
      timeframes: [...new Set(series.map((s) => s.timeframe))],
    });
  }
  const tfMs = timeframeMs(timeframe);
  const h = opts.barrier.horizon;

  const rowCount = series.reduce((n, s) => n + s.candles.length, 0);
  const transformed = new Float32Array(rowCount * COLS);
  const raw = new Float64Array(rowCount * COLS);
  const close = new Float64Array(rowCount);
  const volume = new Float64Array(rowCount);
  const readyFrom = new Int32Array(rowCount);
  const ends: number[] = [];
  const labels: number[] = [];
  const times: number[] = [];
  const buy: number[] = [];
  const sell: number[] = [];
  const labelEnd: number[] = [];
  const blocks: SeriesBlock[] = [];
  let maxSpan = h * tfMs;

  let base = 0;
  for (const s of series) {
    const candles = s.candles;
    const n = candles.length;
    const m = buildFeatureMatrix(candles, s.symbol);
    transformed.set(m.transformed, base * COLS);
    raw.set(m.raw, base * COLS);
    const high = new Float64Array(n);
    const low = new Float64Array(n);
    const closes = new Float64Array(n);
    const atr = new Array<number | null>(n);
    for (let i = 0; i < n; i++) {
      const c = candles[i]!;
      high[i] = c.high;
      low[i] = c.low;
      closes[i] = c.close;
      close[base + i] = c.close;
      volume[base + i] = c.volume;
      const a = m.raw[i * COLS + ATR_COL]!;
      atr[i] = a === a ? a : null;
    }
    const ready = m.firstReady;
    readyFrom.fill(ready < 0 ? base + n : base + ready, base, base + n);
    const barrierLabels = tripleBarrierLabels({ high, low, close: closes }, atr, opts.barrier);
    let samples = 0;
    if (ready >= 0) {
      for (let i = ready + T - 1; i < n; i++) {
        const l = barrierLabels[i];
        if (!l) continue;
        ends.push(base + i);
        labels.push(classIndex(l.label));
        times.push(candles[i]!.openTime);
        buy.push(l.long.pnlPct);
        sell.push(l.short.pnlPct);
        const endTime = candles[i + h]!.openTime;
        labelEnd.push(endTime);
        if (endTime - candles[i]!.openTime > maxSpan) maxSpan = endTime - candles[i]!.openTime;
        samples++;
      }
    }
    blocks.push({ symbol: s.symbol, timeframe, firstRow: base, rows: n, readyRow: ready < 0 ? -1 : base + ready, samples });
    base += n;
  }

  const timesArr = Float64Array.from(times);
  if (timesArr.length === 0) {
    throw new DatasetError(
      'DATASET_TOO_SMALL',
      `too little history to train: ${rowCount} candles in ${series.length} series give no sample ` +
        `(each needs ${IndicatorSet.WARMUP_CANDLES - 1 + T} candles of warm-up and window and ${h} after it); replay or backfill more candles`,
      { candles: rowCount, series: series.length, timesteps: T, horizon: h },
    );
  }
  const split = splitByTime(timesArr, { ...opts.split, horizonMs: maxSpan });
  const labelsArr = Uint8Array.from(labels);
  const endsArr = Int32Array.from(ends);
  const weightsFor = classWeights(labelsArr, split.train);

  // Fit the scaler on exactly the rows training windows read (never a validation or test row).
  const covered = coveredRows(endsArr, split.train, T, rowCount);
  const idx = features.map((f) => INDICATOR_COLUMNS.indexOf(f));
  const scaler = Scaler.fit(features, trainRows(transformed, covered, idx));
  const pipeline = new FeaturePipeline(scaler, opts.weights);
  const rows = pipeline.encodeRows(transformed, 0, rowCount);

  const dataset: WindowDataset = {
    timesteps: T,
    featureCount: pipeline.width,
    featureNames: [...pipeline.features],
    rows,
    ends: endsArr,
    labels: labelsArr,
    times: timesArr,
  };
  validateDataset(dataset);
  return {
    dataset,
    pipeline,
    split,
    classWeights: weightsFor,
    timeframe,
    horizonMs: maxSpan,
    series: blocks,
    barrier: { ...opts.barrier },
    weights: { ...opts.weights },
    transformed,
    raw,
    close,
    volume,
    readyFrom,
    buyPnlPct: Float64Array.from(buy),
    sellPnlPct: Float64Array.from(sell),
    labelEnd: Float64Array.from(labelEnd),
  };
}

/** Marks the rows the windows of `samples` read. */
function coveredRows(ends: Int32Array, samples: Int32Array, timesteps: number, rowCount: number): Uint8Array {
  const covered = new Uint8Array(rowCount);
  for (const s of samples) covered.fill(1, ends[s]! - timesteps + 1, ends[s]! + 1);
  return covered;
}

/** The rows training windows read, ascending: what the scaler was fitted on (and the drift reference samples). */
export function trainingRows(set: TrainingSet): Int32Array {
  const covered = coveredRows(set.dataset.ends, set.split.train, set.dataset.timesteps, set.readyFrom.length);
  const out: number[] = [];
  for (let r = 0; r < covered.length; r++) if (covered[r]) out.push(r);
  return Int32Array.from(out);
}

/** The selected transformed values of every covered row, one reused buffer (Scaler.fit reads each row once). */
function* trainRows(transformed: Float32Array, covered: Uint8Array, idx: readonly number[]): Generator<Float64Array> {
  const buf = new Float64Array(idx.length);
  for (let r = 0; r < covered.length; r++) {
    if (!covered[r]) continue;
    for (let j = 0; j < idx.length; j++) buf[j] = transformed[r * COLS + idx[j]!]!;
    yield buf;
  }
}
