import { describe, expect, it } from 'vitest';
import { argmaxAt, directionsOf } from '../../src/model/classes.ts';
import { deriveSeed, mulberry32, seedFromRunId, shuffleInPlace } from '../../src/model/seed.ts';

describe('seeds', () => {
  it('derives a stable uint32 per (run seed, component), different across components and runs', () => {
    expect(deriveSeed(1, 'shuffle')).toBe(deriveSeed('1', 'shuffle'));
    expect(deriveSeed(1, 'shuffle')).not.toBe(deriveSeed(1, 'dropout'));
    expect(deriveSeed(1, 'shuffle')).not.toBe(deriveSeed(2, 'shuffle'));
    expect(Number.isInteger(deriveSeed(1, 'x')) && deriveSeed(1, 'x') >= 0 && deriveSeed(1, 'x') < 2 ** 32).toBe(true);
    expect(seedFromRunId('run-a')).toBe(seedFromRunId('run-a'));
    expect(seedFromRunId('run-a')).not.toBe(seedFromRunId('run-b'));
  });

  it('shuffles reproducibly into a permutation', () => {
    const a = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), mulberry32(9));
    const b = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), mulberry32(9));
    const c = shuffleInPlace(Int32Array.from({ length: 50 }, (_, i) => i), mulberry32(10));
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const r = mulberry32(1);
    for (let i = 0; i < 1000; i++) {
      const x = r();
      expect(x >= 0 && x < 1).toBe(true);
    }
  });
});

describe('class order', () => {
  it('reads softmax rows as BUY, SELL, HOLD', () => {
    const flat = [0.7, 0.2, 0.1, 0.1, 0.3, 0.6, 0.2, 0.5, 0.3];
    expect(directionsOf(flat)).toEqual(['BUY', 'HOLD', 'SELL']);
    expect(argmaxAt([0.4, 0.4, 0.2], 0)).toBe(0); // ties go to the lower index
  });
});
