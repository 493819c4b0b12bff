/**
 * The statistics drift detection rests on (DESIGN.md "Drift"). Pure functions over number arrays.
 *
 * - Two-sample Kolmogorov–Smirnov, two-sided. The statistic D = sup |F_a(x) − F_b(x)| over the
 *   pooled values (ties handled as scipy.stats.ks_2samp does: both ECDFs are evaluated after every
 *   value equal to x). Two p-values:
 *     · exact (ksPValueExact), for integer sizes with n·m ≤ EXACT_MAX_CELLS: the probability that a
 *       random lattice path from (0,0) to (n,m) leaves the band |i/n − j/m| < D (Hodges 1957), the
 *       quantity scipy's ks_2samp(method='exact') computes. Computed as 1 − P(inside), so p-values
 *       below ~1e-12 lose relative precision (they are still tiny, which is all a drift test needs);
 *     · asymptotic (ksPValueAsymptotic): the Kolmogorov distribution Q(λ) = 2 Σ (−1)^(k−1) e^(−2k²λ²)
 *       at λ = (√e + 0.12 + 0.11/√e)·D with e = n·m/(n+m) — Stephens' (1970) small-sample correction,
 *       as in Numerical Recipes (3rd ed., §14.3.3) and scipy's kstwobign. It accepts non-integer
 *       (effective) sample sizes, which is what the drift check needs (check.ts: autocorrelation).
 *   Note: scipy ≥ 1.5's method='asymp' uses kstwo.sf(D, round(e)) instead; ks2samp's 'asymp' is the
 *   Stephens formula above (the tests compare it with scipy.stats.kstwobign on that argument).
 * - PSI (population stability index) over bin edges: Σ (a_i − e_i)·ln(a_i / e_i) over the bins'
 *   proportions, an empty bin counted as PSI_EPSILON (1e-4) so the logarithm stays finite: one
 *   empty bin then contributes at most ~(p)·ln(p/1e-4), a large but finite penalty.
 * - Bonferroni: the per-test level α/k that keeps the family-wise error rate ≤ α over k tests.
 */

/** Proportion used for an empty bin in PSI (both sides), so ln(a/e) stays finite. */
export const PSI_EPSILON = 1e-4;
/** Largest n·m the exact KS p-value is computed for (the lattice DP is O(n·m) time, O(m) memory). */
export const EXACT_MAX_CELLS = 10_000_000;

/** Sorted copy (ascending) without NaN. */
export function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isFinite(v)) out.push(v);
  }
  return Float64Array.from(out).sort();
}

/** KS statistic D of two ascending samples (ties as scipy: after all values equal to x). */
export function ksStatistic(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0) return NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < n && a[i]! <= x) i++;
    while (j < m && b[j]! <= x) j++;
    const diff = Math.abs(i / n - j / m);
    if (diff > d) d = diff;
  }
  return d;
}

/** Survival function of the Kolmogorov distribution: P(K > λ) = 2 Σ_{k≥1} (−1)^(k−1) e^(−2k²λ²). */
export function kolmogorovSf(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 0.2) return 1; // the series converges slowly there and the value is 1 to 1e-9
  let sum = 0;
  for (let k = 1; k <= 200; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/** Asymptotic two-sided p-value with Stephens' correction; n and m may be effective (non-integer) sizes. */
export function ksPValueAsymptotic(d: number, n: number, m: number): number {
  if (!(n > 0 && m > 0) || !Number.isFinite(d)) return NaN;
  const en = Math.sqrt((n * m) / (n + m));
  return kolmogorovSf((en + 0.12 + 0.11 / en) * d);
}

/**
 * Exact two-sided p-value P(D ≥ d) for integer sizes n, m (no ties assumed), by the lattice-path
 * recursion w(i,j) = i/(i+j)·w(i−1,j) + j/(i+j)·w(i,j−1) over the points inside the band, where
 * w is the probability that a uniformly random path to (i,j) stayed inside.
 */
export function ksPValueExact(d: number, n: number, m: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(m) && n > 0 && m > 0)) throw new RangeError(`exact KS needs positive integer sizes, got ${n}, ${m}`);
  if (n * m > EXACT_MAX_CELLS) throw new RangeError(`exact KS for n·m = ${n * m} exceeds ${EXACT_MAX_CELLS}; use the asymptotic p-value`);
  // D is a multiple of 1/lcm(n, m): compare |i·m − j·n| with h = D·n·m as integers.
  const h = Math.round(d * n * m);
  if (h <= 0) return 1;
  const inside = (i: number, j: number) => Math.abs(i * m - j * n) < h;
  let row = new Float64Array(m + 1);
  row[0] = 1;
  for (let j = 1; j <= m; j++) row[j] = inside(0, j) ? row[j - 1]! : 0;
  for (let i = 1; i <= n; i++) {
    const next = new Float64Array(m + 1);
    next[0] = inside(i, 0) ? row[0]! : 0;
    for (let j = 1; j <= m; j++) {
      next[j] = inside(i, j) ? (i / (i + j)) * row[j]! + (j / (i + j)) * next[j - 1]! : 0;
    }
    row = next;
  }
  return Math.min(1, Math.max(0, 1 - row[m]!));
}

export interface KsResult {
  d: number;
  p: number;
  method: 'exact' | 'asymp';
}

/**
 * ks_2samp: statistic and two-sided p-value. 'auto' (scipy's default) is exact while both samples
 * have at most 10,000 values and n·m ≤ EXACT_MAX_CELLS, else asymptotic.
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>, method: 'auto' | 'exact' | 'asymp' = 'auto'): KsResult {
  const sa = sortedFinite(a);
  const sb = sortedFinite(b);
  const d = ksStatistic(sa, sb);
  const n = sa.length;
  const m = sb.length;
  const exact = method === 'exact' || (method === 'auto' && Math.max(n, m) <= 10_000 && n * m <= EXACT_MAX_CELLS);
  if (n === 0 || m === 0) return { d: NaN, p: NaN, method: exact ? 'exact' : 'asymp' };
  return exact ? { d, p: ksPValueExact(d, n, m), method: 'exact' } : { d, p: ksPValueAsymptotic(d, n, m), method: 'asymp' };
}

/**
 * Bin counts of ascending-or-not `values` over `edges` (ascending, duplicates allowed): bin k is
 * [edges[k], edges[k+1]); values below edges[0] fall in the first bin, values at or above the last
 * inner edge in the last (the reference's min and max are not walls for live values). Duplicate
 * edges are merged first, so a discrete feature gets fewer, non-empty-by-construction bins.
 */
export function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const inner = innerEdges(edges);
  const counts = new Array<number>(inner.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    counts[upperBound(inner, v)]!++;
  }
  return counts;
}

/** The distinct inner edges (without the min and the max, and none equal to the min), ascending. */
export function innerEdges(edges: readonly number[]): number[] {
  const inner: number[] = [];
  for (let k = 1; k < edges.length - 1; k++) {
    const e = edges[k]!;
    if (e > (inner.length === 0 ? edges[0]! : inner[inner.length - 1]!)) inner.push(e);
  }
  return inner;
}

/** Number of entries of ascending `xs` that are <= v. */
function upperBound(xs: readonly number[], v: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts → proportions (all zeros when the total is 0). */
export function proportions(counts: readonly number[]): number[] {
  const total = counts.reduce((s, c) => s + c, 0);
  return counts.map((c) => (total > 0 ? c / total : 0));
}

/** PSI of `actual` against `expected` proportions (same bins); empty bins count as PSI_EPSILON. */
export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new RangeError(`PSI needs the same bins: ${expected.length} vs ${actual.length}`);
  let sum = 0;
  for (let k = 0; k < expected.length; k++) {
    const e = Math.max(expected[k]!, PSI_EPSILON);
    const a = Math.max(actual[k]!, PSI_EPSILON);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

/** PSI of two samples binned over the same edges. */
export function psiOverEdges(reference: ArrayLike<number>, recent: ArrayLike<number>, edges: readonly number[]): number {
  return psi(proportions(binCounts(reference, edges)), proportions(binCounts(recent, edges)));
}

/** The per-test significance level that keeps the family-wise error ≤ alpha over `tests` tests. */
export function bonferroni(alpha: number, tests: number): number {
  return tests > 0 ? alpha / tests : alpha;
}

/**
 * Effective sample size of n positively autocorrelated draws under an AR(1) model with lag-1
 * autocorrelation r: n·(1 − r)/(1 + r) (the variance-inflation factor of the mean; e.g. Bayley &
 * Hammersley 1946, von Storch & Zwiers "Statistical Analysis in Climate Research" §17.1).
 * r ≤ 0 leaves n unchanged (no credit is taken for negative correlation); the result is ≥ 1.
 */
export function effectiveSampleSize(n: number, r: number): number {
  if (!(n > 0)) return 0;
  if (!(r > 0)) return n;
  const rr = Math.min(r, 0.999);
  return Math.max(1, Math.min(n, (n * (1 - rr)) / (1 + rr)));
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * Upper regularized incomplete gamma Q(s, x) = Γ(s, x)/Γ(s): the series for x < s + 1, Lentz's
 * continued fraction otherwise (Numerical Recipes 3rd ed. §6.2 gammq).
 */
export function gammaQ(s: number, x: number): number {
  if (!(s > 0) || x < 0 || Number.isNaN(x)) return NaN;
  if (x === 0) return 1;
  const lead = -x + s * Math.log(x) - logGamma(s);
  if (x < s + 1) {
    let sum = 1 / s;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return Math.max(0, 1 - sum * Math.exp(lead));
  }
  const tiny = 1e-300;
  let b = x + 1 - s;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.min(1, Math.exp(lead) * h);
}

/** Survival function of the chi-square distribution with `dof` degrees of freedom. */
export function chiSquareSf(x: number, dof: number): number {
  return gammaQ(dof / 2, x / 2);
}

/**
 * P-value of a PSI under "no change": asymptotically PSI ≈ (1/n + 1/m)·χ²(B − 1) for B bins and
 * sample sizes n, m (Yurdakul 2018, "Statistical properties of population stability index",
 * Western Michigan University; PSI is the symmetrised KL divergence, whose scaled sampling
 * distribution is chi-square). n and m may be effective sizes.
 */
export function psiPValue(value: number, bins: number, n: number, m: number): number {
  if (bins < 2 || !(n > 0 && m > 0) || !Number.isFinite(value)) return NaN;
  return chiSquareSf(value / (1 / n + 1 / m), bins - 1);
}

/**
 * Integrated autocorrelation time τ = 1 + 2 Σ_k ρ_k of one or more series of the same quantity,
 * deviations taken around `center` (a common level, so a series sitting apart from the others for
 * its whole stretch counts as persistence, not as noise). The sum is Geyer's (1992) initial
 * positive sequence: pairs Γ_m = γ_2m + γ_2m+1 are added while positive, which truncates the
 * noisy tail of the autocovariances without a tuning constant. For an AR(1) with coefficient ρ it
 * estimates (1 + ρ)/(1 − ρ). Lags go up to `maxLag` (default: half the longest series). ≥ 1.
 */
export function integratedAutocorrelationTime(series: readonly ArrayLike<number>[], center: number, maxLag?: number): number {
  let total = 0;
  let longest = 0;
  for (const s of series) {
    total += s.length;
    longest = Math.max(longest, s.length);
  }
  if (total < 3) return 1;
  const lags = Math.max(1, Math.min(longest - 1, maxLag ?? Math.floor(longest / 2)));
  const gamma = new Float64Array(lags + 1);
  for (const s of series) {
    const n = s.length;
    for (let k = 0; k <= Math.min(lags, n - 1); k++) {
      let acc = 0;
      for (let t = 0; t + k < n; t++) acc += (s[t]! - center) * (s[t + k]! - center);
      gamma[k]! += acc;
    }
  }
  for (let k = 0; k <= lags; k++) gamma[k]! /= total;
  const g0 = gamma[0]!;
  if (!(g0 > 0)) return 1;
  let sum = 0;
  for (let m = 0; 2 * m + 1 <= lags; m++) {
    const pair = gamma[2 * m]! + gamma[2 * m + 1]!;
    if (!(pair > 0)) break;
    sum += pair;
  }
  return Math.max(1, (2 * sum - g0) / g0);
}
