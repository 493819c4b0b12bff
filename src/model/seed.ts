/**
 * Reproducible randomness for training. A run has one integer seed (stored with the model); each
 * component draws from its own stream, seeded by hash(seed, component), so adding a component never
 * shifts another one's numbers. Nothing in training may use Math.random.
 */
import { createHash } from 'node:crypto';

/** A uint32 from the first 4 bytes of sha256(`${runSeed}/${component}`). */
export function deriveSeed(runSeed: number | string, component: string): number {
  return createHash('sha256').update(`${runSeed}/${component}`).digest().readUInt32BE(0);
}

/** A run seed for a run without an explicit one: hash of its run id. */
export function seedFromRunId(runId: string): number {
  return deriveSeed(runId, 'run');
}

/** mulberry32, the one implementation (shared with synthetic data): floats in [0, 1). */
export { mulberry32 } from '../ingest/prng.ts';

/** Fisher–Yates shuffle in place, driven by `rand`. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(a: T, rand: () => number): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    const tmp = a[i];
    a[i] = a[j];
    a[j] = tmp;
  }
  return a;
}
