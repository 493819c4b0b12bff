import { describe, expect, it } from 'vitest';
import {
  binCounts,
  bonferroni,
  chiSquareSf,
  effectiveSampleSize,
  integratedAutocorrelationTime,
  ks2samp,
  ksPValueAsymptotic,
  psi,
  psiOverEdges,
  PSI_EPSILON,
} from '../../src/drift/stats.ts';
import { CHI2_CASES, KS_CASES, SCIPY_VERSION } from './scipy-values.ts';

describe(`two-sample KS against scipy ${SCIPY_VERSION}`, () => {
  it.each(KS_CASES.map((c, i) => [i, c] as const))('case %i: D and the exact p-value equal ks_2samp(method="exact")', (_i, c) => {
    const r = ks2samp(c.a, c.b, 'exact');
    expect(r.d).toBeCloseTo(c.d, 12);
    expect(r.p).toBeCloseTo(c.p_exact, 10);
    expect(Math.abs(r.p - c.p_exact) / c.p_exact).toBeLessThan(1e-8);
  });

  it.each(KS_CASES.map((c, i) => [i, c] as const))('case %i: the asymptotic p-value equals kstwobign.sf at Stephens\' argument', (_i, c) => {
    const p = ksPValueAsymptotic(c.d, c.a.length, c.b.length);
    expect(Math.abs(p - c.p_stephens) / c.p_stephens).toBeLessThan(1e-9);
  });

  it('ties: D is measured after every equal value (a sample against itself is 0)', () => {
    const a = [1, 1, 2, 2, 3];
    expect(ks2samp(a, [...a], 'exact').d).toBe(0);
    expect(ks2samp(a, [...a], 'exact').p).toBe(1);
    expect(ks2samp([1, 2, 3], [4, 5, 6], 'exact').d).toBe(1);
  });

  it('smaller effective sizes give larger p-values for the same D', () => {
    expect(ksPValueAsymptotic(0.2, 500, 2000)).toBeLessThan(1e-10);
    expect(ksPValueAsymptotic(0.2, 20, 200)).toBeGreaterThan(0.3);
  });
});

describe(`chi-square tail against scipy ${SCIPY_VERSION}`, () => {
  it.each(CHI2_CASES)('chi2.sf($x, $dof) = $sf', ({ x, dof, sf }) => {
    expect(Math.abs(chiSquareSf(x, dof) - sf) / sf).toBeLessThan(1e-9);
  });
});

describe('PSI', () => {
  // Edges [0, 1, 2, 3, 4]: inner edges 1, 2, 3, so 4 bins [..1) [1,2) [2,3) [3..].
  const edges = [0, 1, 2, 3, 4];
  const reference = [0.5, 0.5, 1.5, 1.5, 2.5, 2.5, 3.5, 3.5]; // 0.25 in each bin
  it('hand example: reference 0.25 each, recent 0.1 / 0.2 / 0.3 / 0.4', () => {
    const recent = [0.5, 1.5, 1.5, 2.5, 2.5, 2.5, 3.5, 3.5, 3.5, 3.5];
    expect(binCounts(recent, edges)).toEqual([1, 2, 3, 4]);
    // Σ (a − e)·ln(a/e):
    //   (0.1 − 0.25)·ln(0.1/0.25) = −0.15 × −0.9162907 = 0.1374436
    //   (0.2 − 0.25)·ln(0.2/0.25) = −0.05 × −0.2231436 = 0.0111572
    //   (0.3 − 0.25)·ln(0.3/0.25) =  0.05 ×  0.1823216 = 0.0091161
    //   (0.4 − 0.25)·ln(0.4/0.25) =  0.15 ×  0.4700036 = 0.0705005
    //   total                                              = 0.2282174
    expect(psiOverEdges(reference, recent, edges)).toBeCloseTo(0.2282174, 6);
  });

  it(`an empty bin counts as ${PSI_EPSILON}`, () => {
    const recent = [1.5, 2.5, 3.5, 3.5]; // 0, 0.25, 0.25, 0.5
    // (1e-4 − 0.25)·ln(1e-4/0.25) = −0.2499 × −7.8240460 = 1.9552291; (0.5 − 0.25)·ln 2 = 0.1732868
    expect(psiOverEdges(reference, recent, edges)).toBeCloseTo(1.9552291 + 0.1732868, 6);
  });

  it('identical distributions give 0; values outside the reference range land in the end bins', () => {
    expect(psi([0.25, 0.25, 0.5], [0.25, 0.25, 0.5])).toBe(0);
    expect(binCounts([-100, 100], edges)).toEqual([1, 0, 0, 1]);
  });

  it('duplicate edges are merged (a discrete feature gets fewer bins)', () => {
    expect(binCounts([0, 0, 1, 2], [0, 0, 0, 1, 1, 2])).toEqual([2, 2]);
  });
});

describe('Bonferroni and effective sample size', () => {
  it('divides the level by the number of tests', () => {
    expect(bonferroni(0.05, 17)).toBeCloseTo(0.05 / 17, 15);
  });

  it('AR(1): n(1 − r)/(1 + r), and the autocorrelation time of a simulated AR(1) is near (1 + ρ)/(1 − ρ)', () => {
    expect(effectiveSampleSize(500, 0.9)).toBeCloseTo((500 * 0.1) / 1.9, 10);
    expect(effectiveSampleSize(500, -0.3)).toBe(500);
    let seed = 7;
    const uniform = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const normal = () => Math.sqrt(-2 * Math.log(uniform() + 1e-12)) * Math.cos(2 * Math.PI * uniform());
    const rho = 0.8;
    const xs: number[] = [0];
    for (let i = 1; i < 20_000; i++) xs.push(rho * xs[i - 1]! + normal());
    const tau = integratedAutocorrelationTime([xs], 0, 400);
    expect(tau).toBeGreaterThan(9 * 0.8);
    expect(tau).toBeLessThan(9 * 1.2);
    const white = Array.from({ length: 20_000 }, normal);
    expect(integratedAutocorrelationTime([white], 0, 400)).toBeLessThan(1.2);
  });
});
