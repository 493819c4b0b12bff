/**
 * The model's output order: softmax index 0 = BUY, 1 = SELL, 2 = HOLD. Labels are stored as these
 * indices (Uint8Array); every conversion goes through here.
 */
import type { Direction } from '../domain/prediction.ts';

export const CLASSES = ['BUY', 'SELL', 'HOLD'] as const satisfies readonly Direction[];
export const NUM_CLASSES = 3;
export type ClassIndex = 0 | 1 | 2;

export const BUY = 0 as const;
export const SELL = 1 as const;
export const HOLD = 2 as const;

export function classIndex(d: Direction): ClassIndex {
  return d === 'BUY' ? BUY : d === 'SELL' ? SELL : HOLD;
}

export function classOf(i: number): Direction {
  const d = CLASSES[i];
  if (d === undefined) throw new RangeError(`class index ${i} is not 0, 1 or 2`);
  return d;
}

export type Probabilities = Record<Direction, number>;

/** Probabilities of row `row` in a flat [n, 3] softmax output. */
export function probabilitiesAt(flat: ArrayLike<number>, row: number): Probabilities {
  const o = row * NUM_CLASSES;
  return { BUY: flat[o]!, SELL: flat[o + 1]!, HOLD: flat[o + 2]! };
}

/** The arg-max class of row `row`; ties go to the lower index (BUY, then SELL). */
export function argmaxAt(flat: ArrayLike<number>, row: number): ClassIndex {
  const o = row * NUM_CLASSES;
  let best: ClassIndex = 0;
  if (flat[o + 1]! > flat[o + best]!) best = 1;
  if (flat[o + 2]! > flat[o + best]!) best = 2;
  return best;
}

/** The arg-max direction of every row of a flat [n, 3] softmax output (e.g. predictMany's). */
export function directionsOf(flat: ArrayLike<number>): Direction[] {
  const n = Math.floor(flat.length / NUM_CLASSES);
  return Array.from({ length: n }, (_, k) => CLASSES[argmaxAt(flat, k)]);
}
