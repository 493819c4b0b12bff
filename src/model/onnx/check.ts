/**
 * The export check: ONNX Runtime's probabilities must equal tfjs's within ONNX_TOLERANCE on every
 * window, and the signal decision (domain/decision.ts chooseDirection, the policy's own rule, with the model thresholds, ATR
 * available) must be the same for every window. A model whose export fails the check keeps tfjs.
 */
import { mulberry32, normals } from '../../ingest/prng.ts';
import { MODEL_THRESHOLDS, chooseDirection } from '../../domain/decision.ts';
import { NUM_CLASSES, probabilitiesAt } from '../classes.ts';
import { OnnxError } from './errors.ts';

export const ONNX_TOLERANCE = 1e-5;

export interface OnnxCheckResult {
  /** Windows compared. */
  windows: number;
  /** Largest |onnx - tfjs| over every probability. */
  maxAbsDiff: number;
  /** Windows whose signal decision differs. */
  decisionsDiffering: number;
  tolerance: number;
  /** 'test_window' at training (the model's own test windows), 'seeded' for a model exported on load. */
  source: 'test_window' | 'seeded';
}

/** Compares two [n, 3] probability arrays; `ok` when within tolerance and every decision agrees. */
export function compareOutputs(reference: Float32Array, onnx: Float32Array, n: number, source: OnnxCheckResult['source']): OnnxCheckResult & { ok: boolean } {
  let maxAbsDiff = 0;
  let decisionsDiffering = 0;
  for (let k = 0; k < n; k++) {
    for (let c = 0; c < NUM_CLASSES; c++) {
      const d = Math.abs(reference[k * NUM_CLASSES + c]! - onnx[k * NUM_CLASSES + c]!);
      // NaN (an output that is not a number) fails the check as an infinite difference.
      maxAbsDiff = Math.max(maxAbsDiff, Number.isNaN(d) ? Infinity : d);
    }
    if (maxAbsDiff === Infinity) continue;
    const a = chooseDirection(probabilitiesAt(reference, k), MODEL_THRESHOLDS, true).direction;
    const b = chooseDirection(probabilitiesAt(onnx, k), MODEL_THRESHOLDS, true).direction;
    if (a !== b) decisionsDiffering++;
  }
  const ok = n > 0 && maxAbsDiff <= ONNX_TOLERANCE && decisionsDiffering === 0;
  return { windows: n, maxAbsDiff, decisionsDiffering, tolerance: ONNX_TOLERANCE, source, ok };
}

/** Throws ONNX_CHECK_FAILED unless the comparison passed. */
export function requirePassed(r: OnnxCheckResult & { ok: boolean }): OnnxCheckResult {
  if (!r.ok) {
    throw new OnnxError(
      'ONNX_CHECK_FAILED',
      `ONNX Runtime's outputs differ from tfjs's: max |diff| ${r.maxAbsDiff} (tolerance ${r.tolerance}), ${r.decisionsDiffering} of ${r.windows} signal decisions differ`,
      { ...r },
    );
  }
  const { ok: _ok, ...rest } = r;
  return rest;
}

/**
 * Deterministic check windows for a model exported on load (its test windows are not stored):
 * standard-normal values, the scale the scaler gives the features, from a fixed seed.
 */
export function seededWindows(n: number, timesteps: number, features: number, seed = 0x5eed): Float32Array {
  const next = normals(mulberry32(seed));
  const out = new Float32Array(n * timesteps * features);
  for (let i = 0; i < out.length; i++) out[i] = next();
  return out;
}
