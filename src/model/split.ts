/**
 * Time-ordered train / validation / test split, purged by the barrier horizon (DESIGN.md "Models").
 *
 * The cut is made on the time axis shared by all symbols, never on row numbers: with several
 * symbols, row order says nothing about time. A sample at time t is labelled from the candles in
 * (t, t + horizon]; so the validation window starts at least `horizonMs` after the last training
 * sample, and the test window at least `horizonMs` after the last validation sample. Samples in
 * those gaps are purged (dropped from every split).
 */
import { DatasetError } from './errors.ts';
import { CLASSES } from './classes.ts';

export interface SplitOptions {
  /** horizon × timeframe length: how far a label looks ahead, in ms. */
  horizonMs: number;
  /** Fractions of the distinct sample times for train and validation; test gets the rest. */
  trainFraction?: number;
  valFraction?: number;
  /** Fewer samples than this in a split is a DATASET_TOO_SMALL error. */
  minSamples?: { train: number; val: number; test: number };
}

export const DEFAULT_MIN_SAMPLES = { train: 300, val: 60, test: 60 };

export interface TimeSplit {
  /** Sample indices of each split, in time order (ties keep input order). */
  train: Int32Array;
  val: Int32Array;
  test: Int32Array;
  /** Samples dropped in the two purge gaps. */
  purged: number;
  /** Time bounds (inclusive) of each split, epoch ms. */
  bounds: { trainStart: number; trainEnd: number; valStart: number; valEnd: number; testStart: number; testEnd: number };
}

export function splitByTime(times: Float64Array, opts: SplitOptions): TimeSplit {
  const trainFraction = opts.trainFraction ?? 0.7;
  const valFraction = opts.valFraction ?? 0.15;
  const min = opts.minSamples ?? DEFAULT_MIN_SAMPLES;
  if (!(trainFraction > 0 && valFraction > 0 && trainFraction + valFraction < 1)) {
    throw new RangeError(`split fractions must be positive and leave room for a test window; got ${trainFraction}/${valFraction}`);
  }
  if (!(opts.horizonMs >= 0)) throw new RangeError(`horizonMs must be >= 0; got ${opts.horizonMs}`);

  const distinct = Float64Array.from(new Set(times)).sort();
  const n = times.length;
  const tooSmall = (counts: Record<string, number>) =>
    new DatasetError(
      'DATASET_TOO_SMALL',
      `too little history to train: ${n} samples at ${distinct.length} distinct times give train ${counts.train ?? 0}, ` +
        `validation ${counts.val ?? 0}, test ${counts.test ?? 0} after purging ${opts.horizonMs / 60_000} min gaps; ` +
        `need at least ${min.train} / ${min.val} / ${min.test}: replay or backfill more candles`,
      { samples: n, distinctTimes: distinct.length, ...counts, required: min },
    );
  if (distinct.length < 3) throw tooSmall({ train: 0, val: 0, test: 0 });

  const trainEnd = distinct[Math.max(0, Math.floor(distinct.length * trainFraction) - 1)]!;
  const valStart = trainEnd + opts.horizonMs;
  const valEnd = distinct[Math.max(0, Math.floor(distinct.length * (trainFraction + valFraction)) - 1)]!;
  const testStart = valEnd + opts.horizonMs;

  // Strict inequalities on the far side of each gap: a validation sample exactly `horizonMs` after
  // the last training sample is fine (the training label's last candle is that sample's own candle),
  // one earlier would share label candles.
  const order = Int32Array.from({ length: n }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
  const train: number[] = [];
  const val: number[] = [];
  const test: number[] = [];
  let purged = 0;
  for (const i of order) {
    const t = times[i]!;
    if (t <= trainEnd) train.push(i);
    else if (t >= valStart && t <= valEnd) val.push(i);
    else if (t >= testStart) test.push(i);
    else purged++;
  }
  const counts = { train: train.length, val: val.length, test: test.length, purged };
  if (train.length < min.train || val.length < min.val || test.length < min.test) throw tooSmall(counts);

  const first = (a: number[]) => times[a[0]!]!;
  const last = (a: number[]) => times[a[a.length - 1]!]!;
  return {
    train: Int32Array.from(train),
    val: Int32Array.from(val),
    test: Int32Array.from(test),
    purged,
    bounds: {
      trainStart: first(train),
      trainEnd: last(train),
      valStart: first(val),
      valEnd: last(val),
      testStart: first(test),
      testEnd: last(test),
    },
  };
}

/** How many samples of each class (BUY, SELL, HOLD) `rows` holds. */
export function classCounts(labels: Uint8Array, rows: ArrayLike<number>): [number, number, number] {
  const c: [number, number, number] = [0, 0, 0];
  for (let k = 0; k < rows.length; k++) c[labels[rows[k]!]! as 0 | 1 | 2]++;
  return c;
}

/**
 * Inverse-frequency class weights, normalised so the weighted sample count equals the sample count
 * (sklearn's "balanced": w_c = n / (k × n_c) over the k classes present). A class absent from the
 * training rows gets 0. One class alone cannot train a classifier: DATASET_SINGLE_CLASS.
 */
export function classWeights(labels: Uint8Array, rows: ArrayLike<number>): [number, number, number] {
  const counts = classCounts(labels, rows);
  const present = counts.filter((c) => c > 0).length;
  if (present < 2) {
    const only = CLASSES[counts.findIndex((c) => c > 0)] ?? 'none';
    throw new DatasetError(
      'DATASET_SINGLE_CLASS',
      `every training label is ${only} (${rows.length} samples): a classifier needs at least two classes; ` +
        'use more history or check the barrier parameters (TP_ATR_MULT, SL_ATR_MULT, BARRIER_HORIZON)',
      { counts: { BUY: counts[0], SELL: counts[1], HOLD: counts[2] } },
    );
  }
  const n = rows.length;
  return counts.map((c) => (c > 0 ? n / (present * c) : 0)) as [number, number, number];
}

