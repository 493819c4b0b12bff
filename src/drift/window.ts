/**
 * The recent history a drift check reads: bounded rings of feature vectors, predictions and
 * resolved outcomes of one model version, filled from the tick loop. Preallocated typed arrays, so
 * observing a tick allocates nothing; a snapshot copies them out in arrival order for the check.
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import type { Direction } from '../domain/prediction.ts';
import type { PredictionSample, RecentVectors } from './check.ts';
import type { OutcomeSample } from './performance.ts';

const COLS = INDICATOR_COLUMNS.length;
const DIRS: readonly Direction[] = ['BUY', 'SELL', 'HOLD'];

/** A fixed-capacity ring: `push` returns the slot to write, overwriting the oldest when full. */
class Ring {
  head = 0;
  size = 0;
  constructor(readonly capacity: number) {}
  push(): number {
    const slot = this.head;
    this.head = (this.head + 1) % this.capacity;
    if (this.size < this.capacity) this.size++;
    return slot;
  }
  /** Slots oldest first. */
  *slots(): Generator<number> {
    const start = (this.head - this.size + this.capacity) % this.capacity;
    for (let k = 0; k < this.size; k++) yield (start + k) % this.capacity;
  }
  clear(): void {
    this.head = 0;
    this.size = 0;
  }
}

export class DriftWindow {
  private readonly seriesIds = new Map<string, number>();
  private readonly vecRing: Ring;
  private readonly vec: Float64Array;
  private readonly vecSeries: Int32Array;
  private readonly predRing: Ring;
  private readonly predDir: Uint8Array;
  private readonly predConf: Float64Array;
  private readonly predSeries: Int32Array;
  private readonly outRing: Ring;
  /** 0 wrong, 1 right, 2 not judged. */
  private readonly outCorrect: Uint8Array;
  private readonly outTrade: Uint8Array;
  private readonly outWin: Uint8Array;

  constructor(readonly capacity: number) {
    this.vecRing = new Ring(capacity);
    this.vec = new Float64Array(capacity * COLS);
    this.vecSeries = new Int32Array(capacity);
    this.predRing = new Ring(capacity);
    this.predDir = new Uint8Array(capacity);
    this.predConf = new Float64Array(capacity);
    this.predSeries = new Int32Array(capacity);
    this.outRing = new Ring(capacity);
    this.outCorrect = new Uint8Array(capacity);
    this.outTrade = new Uint8Array(capacity);
    this.outWin = new Uint8Array(capacity);
  }

  get vectors(): number {
    return this.vecRing.size;
  }

  get outcomes(): number {
    return this.outRing.size;
  }

  private seriesId(symbol: string): number {
    let id = this.seriesIds.get(symbol);
    if (id === undefined) this.seriesIds.set(symbol, (id = this.seriesIds.size));
    return id;
  }

  /** One model prediction: its transformed feature row (17 columns; may be absent) and its class and confidence. */
  addPrediction(symbol: string, latest: ArrayLike<number> | null, direction: Direction, confidence: number): void {
    const series = this.seriesId(symbol);
    if (latest && latest.length === COLS) {
      const v = this.vecRing.push();
      for (let c = 0; c < COLS; c++) this.vec[v * COLS + c] = Number(latest[c]);
      this.vecSeries[v] = series;
    }
    const p = this.predRing.push();
    this.predDir[p] = DIRS.indexOf(direction);
    this.predConf[p] = confidence;
    this.predSeries[p] = series;
  }

  addOutcome(correct: boolean | null, trade: boolean, win: boolean): void {
    const o = this.outRing.push();
    this.outCorrect[o] = correct === null ? 2 : correct ? 1 : 0;
    this.outTrade[o] = trade ? 1 : 0;
    this.outWin[o] = win ? 1 : 0;
  }

  clear(): void {
    this.vecRing.clear();
    this.predRing.clear();
    this.outRing.clear();
    this.seriesIds.clear();
  }

  snapshot(): { vectors: RecentVectors; predictions: PredictionSample[]; outcomes: OutcomeSample[] } {
    const rows = this.vecRing.size;
    const values = new Float64Array(rows * COLS);
    const series = new Int32Array(rows);
    let r = 0;
    for (const s of this.vecRing.slots()) {
      values.set(this.vec.subarray(s * COLS, s * COLS + COLS), r * COLS);
      series[r++] = this.vecSeries[s]!;
    }
    const predictions: PredictionSample[] = [];
    for (const s of this.predRing.slots()) predictions.push({ series: this.predSeries[s]!, direction: DIRS[this.predDir[s]!]!, confidence: this.predConf[s]! });
    const outcomes: OutcomeSample[] = [];
    for (const s of this.outRing.slots()) {
      const c = this.outCorrect[s]!;
      outcomes.push({ correct: c === 2 ? null : c === 1, trade: this.outTrade[s] === 1, win: this.outWin[s] === 1 });
    }
    return { vectors: { rows, values, series }, predictions, outcomes };
  }
}
