/**
 * The in-memory training set the trainer, the split and the evaluation share. Windows are not
 * materialised: one row of features per candle, and each sample names the row of its signal
 * candle; its window is the T rows ending there. Overlapping windows therefore cost nothing
 * (the four 5m files: ~23k samples, 1.5 MB of rows instead of 94 MB of windows).
 *
 * The builder (the lead's dataset code) lays each symbol's candles out contiguously and only emits
 * samples whose window stays inside one symbol's block.
 */
import { DatasetError } from './errors.ts';
import { NUM_CLASSES } from './classes.ts';

export interface WindowDataset {
  /** Window length T. */
  timesteps: number;
  /** F: values per row. */
  featureCount: number;
  /** Names of the F columns, in row order (for messages and for the artifact). */
  featureNames: readonly string[];
  /** Row-major [rows, F] feature values, already transformed and scaled. */
  rows: Float32Array;
  /** Per sample: the row of its signal candle (the window's last row). */
  ends: Int32Array;
  /** Per sample: class index, 0 BUY, 1 SELL, 2 HOLD (classes.ts). */
  labels: Uint8Array;
  /** Per sample: open time of the signal candle, epoch ms. */
  times: Float64Array;
}

/** A dataset from windows already laid out as [N, T, F] (e.g. tests, small tools). */
export function denseDataset(
  windows: Float32Array,
  timesteps: number,
  featureCount: number,
  labels: Uint8Array,
  times: Float64Array,
  featureNames: readonly string[] = Array.from({ length: featureCount }, (_, i) => `f${i}`),
): WindowDataset {
  const n = labels.length;
  if (windows.length !== n * timesteps * featureCount) {
    throw new DatasetError('DATASET_SHAPE', `windows hold ${windows.length} values, expected ${n} × ${timesteps} × ${featureCount}`, {
      values: windows.length,
      samples: n,
      timesteps,
      featureCount,
    });
  }
  const ends = new Int32Array(n);
  for (let i = 0; i < n; i++) ends[i] = i * timesteps + timesteps - 1;
  return { timesteps, featureCount, featureNames, rows: windows, ends, labels, times };
}

/** Copies sample `sample`'s window (T × F values) into `dst` at `offset`. */
export function copyWindow(ds: WindowDataset, sample: number, dst: Float32Array, offset: number): void {
  const f = ds.featureCount;
  const start = (ds.ends[sample]! - ds.timesteps + 1) * f;
  dst.set(ds.rows.subarray(start, start + ds.timesteps * f), offset);
}

/** The windows of `samples[from..to)` as one [n, T, F] buffer (reusing `into` when it is big enough). */
export function gatherWindows(ds: WindowDataset, samples: ArrayLike<number>, from: number, to: number, into?: Float32Array): Float32Array {
  const size = ds.timesteps * ds.featureCount;
  const n = to - from;
  const out = into && into.length >= n * size ? into.subarray(0, n * size) : new Float32Array(n * size);
  for (let k = 0; k < n; k++) copyWindow(ds, samples[from + k]!, out, k * size);
  return out;
}

/**
 * Shape and content checks, before any tensor exists: consistent lengths, windows inside the rows,
 * labels in 0..2, and every feature value a window reads finite (the error names the first bad one).
 */
export function validateDataset(ds: WindowDataset): void {
  const { timesteps: t, featureCount: f } = ds;
  const n = ds.labels.length;
  const shapeError = (msg: string, ctx: Record<string, unknown>) => new DatasetError('DATASET_SHAPE', msg, ctx);
  if (!Number.isInteger(t) || t < 1 || !Number.isInteger(f) || f < 1) throw shapeError(`bad window shape T=${t}, F=${f}`, { t, f });
  if (ds.featureNames.length !== f) throw shapeError(`${ds.featureNames.length} feature names for ${f} features`, { names: ds.featureNames.length, f });
  if (ds.rows.length % f !== 0) throw shapeError(`rows hold ${ds.rows.length} values, not a multiple of F=${f}`, { values: ds.rows.length, f });
  if (ds.ends.length !== n || ds.times.length !== n) {
    throw shapeError(`per-sample arrays differ in length: labels ${n}, ends ${ds.ends.length}, times ${ds.times.length}`, {
      labels: n,
      ends: ds.ends.length,
      times: ds.times.length,
    });
  }
  const rowCount = ds.rows.length / f;
  const checked = new Uint8Array(rowCount);
  for (let s = 0; s < n; s++) {
    const label = ds.labels[s]!;
    if (label >= NUM_CLASSES) throw shapeError(`sample ${s} has label ${label}; labels are 0 (BUY), 1 (SELL), 2 (HOLD)`, { sample: s, label });
    if (!Number.isFinite(ds.times[s]!)) throw shapeError(`sample ${s} has no valid time`, { sample: s });
    const end = ds.ends[s]!;
    if (end < t - 1 || end >= rowCount) {
      throw shapeError(`sample ${s} ends at row ${end}: its ${t}-row window is outside the ${rowCount} rows`, { sample: s, end, rowCount });
    }
    for (let r = end - t + 1; r <= end; r++) {
      if (checked[r]) continue;
      checked[r] = 1;
      for (let j = 0; j < f; j++) {
        const v = ds.rows[r * f + j]!;
        if (!Number.isFinite(v)) {
          throw new DatasetError(
            'DATASET_NAN',
            `feature '${ds.featureNames[j]}' is ${v} in row ${r} (timestep ${r - (end - t + 1)} of sample ${s}); ` +
              'every value a window reads must be finite: drop warm-up rows or fix the transform',
            { sample: s, row: r, timestep: r - (end - t + 1), feature: ds.featureNames[j], featureIndex: j, value: String(v) },
          );
        }
      }
    }
  }
}
