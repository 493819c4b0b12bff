/**
 * Everything the engine keeps per symbol between candles: its 17 indicators, the ring of the last T
 * transformed feature rows the model reads, and the small context the consensus and the technical
 * summary need. Memory is fixed at construction (T×17 Float32 plus the indicators' windows, and T×width
 * Float32 of encoded rows once a model reads windows); an update allocates only the IndicatorValues
 * snapshot it returns.
 *
 * The ring stores model-independent transformed rows (transforms.ts), not model input: scaling,
 * feature selection and weights are applied by `window(pipeline)`, so swapping in a model with other
 * features or statistics needs no re-warm-up.
 */
import { INDICATOR_COLUMNS, type IndicatorValues } from '../domain/indicators.ts';
import { consensus, type ConsensusOptions, type ConsensusResult } from './consensus.ts';
import { IndicatorSet } from './indicator-set.ts';
import { EmaCore } from './indicators/ema.ts';
import type { Bar } from './indicators/indicator.ts';
import type { FeaturePipeline } from './pipeline.ts';
import { technicalSummary, type TechnicalSummary } from './summary.ts';
import { transformRaw } from './transforms.ts';
import type { IndicatorWeights } from './weights.ts';

export const DEFAULT_WINDOW = 60;
/** Candles in the slow average of `volatility` that the summary's volatility regime compares to. */
export const VOLATILITY_BASELINE_PERIOD = 200;

const COLS = INDICATOR_COLUMNS.length;
const VOLATILITY_COL = INDICATOR_COLUMNS.indexOf('volatility');

export interface SymbolFeatureStateOptions {
  /** Rows in the model window (T). Default 60. */
  windowSize?: number;
}

export class SymbolFeatureState {
  readonly indicators: IndicatorSet;
  readonly windowSize: number;
  private readonly ring: Float32Array;
  private head = 0; // next row to write
  private rows = 0;
  private readonly volBaseline = new EmaCore(VOLATILITY_BASELINE_PERIOD);
  private last: IndicatorValues | null = null;
  private lastBar: Bar | null = null;
  /** Rows written to the ring so far (the encoded copy's clock). */
  private written = 0;
  /**
   * The ring's rows encoded by one pipeline, at the same positions: each row is encoded once, when
   * the first window after it is asked for, instead of T times (once per window it is part of).
   */
  private encoded: { pipeline: FeaturePipeline; rows: Float32Array; written: number } | null = null;

  constructor(
    readonly symbol: string,
    opts: SymbolFeatureStateOptions = {},
  ) {
    const t = opts.windowSize ?? DEFAULT_WINDOW;
    if (!Number.isInteger(t) || t < 1) throw new RangeError(`window size must be a positive integer, got ${t}`);
    this.windowSize = t;
    this.indicators = new IndicatorSet(symbol);
    this.ring = new Float32Array(t * COLS);
  }

  /**
   * Consume one closed candle (time order, as validated by ingest). Once all 17 indicators have
   * values, each candle adds one transformed row to the window.
   */
  update(bar: Bar): IndicatorValues {
    const set = this.indicators;
    set.push(bar);
    if (set.isReady) {
      transformRaw(set.raw, bar, this.ring, this.head * COLS);
      this.head = this.head + 1 === this.windowSize ? 0 : this.head + 1;
      if (this.rows < this.windowSize) this.rows++;
      this.written++;
    }
    const vol = set.raw[VOLATILITY_COL]!;
    if (vol === vol) this.volBaseline.next(vol);
    this.lastBar = bar;
    this.last = set.snapshot();
    return this.last;
  }

  /** True when the window holds T rows. */
  get isReady(): boolean {
    return this.rows === this.windowSize;
  }

  /** Rows currently in the window (≤ T). */
  get length(): number {
    return this.rows;
  }

  /** The latest raw values (null before the first candle). */
  get values(): IndicatorValues | null {
    return this.last;
  }

  get lastCandle(): Bar | null {
    return this.lastBar;
  }

  /**
   * The model input: T rows × pipeline.width, oldest first, encoded by `pipeline`. Writes into
   * `out` (at `outOffset`, for batching several symbols into one tensor) or a new array.
   * Call only when `isReady`.
   */
  window(pipeline: FeaturePipeline, out?: Float32Array, outOffset = 0): Float32Array {
    if (!this.isReady) throw new RangeError(`${this.symbol}: window needs ${this.windowSize} rows, has ${this.rows}`);
    const width = pipeline.width;
    const t = this.windowSize;
    const dst = out ?? new Float32Array(t * width);
    const rows = this.encodedRows(pipeline);
    // Oldest row sits at `head` once the ring is full.
    const head = this.head * width;
    dst.set(rows.subarray(head), outOffset);
    dst.set(rows.subarray(0, head), outOffset + (t * width - head));
    return dst;
  }

  /** The ring encoded by `pipeline` (same row positions), brought up to date. */
  private encodedRows(pipeline: FeaturePipeline): Float32Array {
    const width = pipeline.width;
    const t = this.windowSize;
    let enc = this.encoded;
    if (!enc || enc.pipeline !== pipeline) enc = this.encoded = { pipeline, rows: new Float32Array(t * width), written: this.written - t };
    // Rows written since the last encode, newest last; at most the whole ring.
    const fresh = Math.min(t, this.written - enc.written);
    let row = (this.head - fresh + t) % t;
    for (let k = 0; k < fresh; k++) {
      pipeline.encodeRow(this.ring, row * COLS, enc.rows, row * width);
      row = row + 1 === t ? 0 : row + 1;
    }
    enc.written = this.written;
    return enc.rows;
  }

  /** The transformed row of the latest candle (17 values, domain/indicators.ts order), copied. */
  latestTransformed(): Float32Array | null {
    if (this.rows === 0) return null;
    const row = (this.head - 1 + this.windowSize) % this.windowSize;
    return this.ring.slice(row * COLS, row * COLS + COLS);
  }

  /** Rule consensus on the latest candle. */
  consensus(weights: IndicatorWeights, opts?: ConsensusOptions): ConsensusResult | null {
    if (!this.last || !this.lastBar) return null;
    return consensus(this.last, this.lastBar, weights, opts);
  }

  /** Technical summary of the latest candle. */
  summary(): TechnicalSummary | null {
    if (!this.last || !this.lastBar) return null;
    const baseline = this.volBaseline.current;
    return technicalSummary(this.last, this.lastBar, { volatilityBaseline: baseline === baseline ? baseline : null, symbol: this.symbol });
  }

  reset(): void {
    this.indicators.reset();
    this.ring.fill(0);
    this.head = 0;
    this.rows = 0;
    this.volBaseline.reset();
    this.last = null;
    this.lastBar = null;
    this.written = 0;
    this.encoded = null;
  }
}
