/**
 * The running-sum indicators do not drift (src/features/indicators/running.ts). The full proof is
 * `node --import tsx scripts/indicator-drift.ts` (10 million candles, ~1 min); this runs the same
 * check on 1 million adversarial candles, then the real LTC/BTC file against TA-Lib's values.
 */
import { describe, expect, it } from 'vitest';
import { RollingMax, RunningMoments, RunningSum } from '../../src/features/indicators/running.ts';
import { mulberry32 } from '../../src/ingest/prng.ts';
import { REL_TOL, runDriftCheck } from '../../scripts/indicator-drift.ts';

describe('running windows', () => {
  it('after 1 million adversarial candles the windowed indicators equal a from-scratch computation, and then TA-Lib, to 1e-9', () => {
    const r = runDriftCheck({ candles: 1_000_000, checkEvery: 101 });
    expect(r.checks).toBeGreaterThan(9_000);
    for (const [series, e] of Object.entries(r.max_rel_error)) expect(e, series).toBeLessThanOrEqual(REL_TOL);
    expect(r.talib_after.compared).toBeGreaterThan(30_000);
    for (const [series, e] of Object.entries(r.talib_after.max_rel_error)) expect(e, series).toBeLessThanOrEqual(REL_TOL);
    expect(r.ok).toBe(true);
  }, 60_000);

  it('a sum that cancels to nothing comes back to exactly 0; the deque gives the window min and max', () => {
    const s = new RunningSum(5);
    for (const x of [1e12, 3.3, 1e-3, 7e11, 0.1]) s.push(x);
    for (let i = 0; i < 5; i++) s.push(0);
    expect(s.sum).toBe(0);
    const m = new RunningMoments(4);
    for (const x of [1e9, 2e9, 1, 1, 1, 1]) m.push(x);
    expect(m.variance()).toBe(0);
    expect(m.mean()).toBe(1);

    const rnd = mulberry32(9);
    const lo = new RollingMax(7);
    const hi = new RollingMax(7);
    const xs: number[] = [];
    for (let i = 0; i < 2_000; i++) {
      const x = Math.floor(rnd() * 20); // many ties
      xs.push(x);
      const w = xs.slice(-7);
      expect([-lo.push(-x), hi.push(x)]).toEqual([Math.min(...w), Math.max(...w)]);
    }
  });
});
