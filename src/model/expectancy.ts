/**
 * Net expectancy after fees: the mean net P/L per trade (percent, the barrier walk's pnlPct, fees
 * of both sides included) and a one-sided lower confidence bound on it, for the promotion gate.
 *
 * Bound: Student-t, mean − t(confidence; n − 1) · s / √n, with s the sample standard deviation.
 * Trades are treated as independent (one per signal, as evaluate.ts scores them); overlapping
 * barrier walks are positively correlated, so the bound is if anything optimistic, which is why the
 * gate also asks for a minimum number of trades. The t quantile uses the Cornish-Fisher expansion
 * in 1/df around the normal quantile (Abramowitz & Stegun 26.7.5): within 1e-3 of the exact value
 * for df >= 10 at 95%, and the gate never asks for fewer than 30 trades.
 */

export interface ExpectancyBound {
  trades: number;
  /** Mean net P/L per trade, percent. */
  mean: number;
  /** One-sided lower bound at `confidence`; -Infinity with fewer than two trades. */
  lower: number;
  confidence: number;
}

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

/** Student-t quantile for `df` degrees of freedom (Cornish-Fisher, see the header). */
export function tQuantile(p: number, df: number): number {
  if (!(df >= 1)) throw new RangeError(`t quantile needs df >= 1, got ${df}`);
  const z = normalQuantile(p);
  const z2 = z * z;
  const g1 = (z2 + 1) * z / 4;
  const g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
  const g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
  const g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
  return z + g1 / df + g2 / df ** 2 + g3 / df ** 3 + g4 / df ** 4;
}

export function expectancyBound(returns: ArrayLike<number>, confidence = 0.95): ExpectancyBound {
  const n = returns.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i]!;
  const mean = n > 0 ? sum / n : 0;
  if (n < 2) return { trades: n, mean, lower: -Infinity, confidence };
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (returns[i]! - mean) ** 2;
  const sd = Math.sqrt(sq / (n - 1));
  return { trades: n, mean, lower: mean - tQuantile(confidence, n - 1) * (sd / Math.sqrt(n)), confidence };
}
