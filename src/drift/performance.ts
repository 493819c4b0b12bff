/**
 * Performance drift: rolling accuracy and win rate of the active model's resolved outcomes against
 * its test-window figures (DESIGN.md "Drift").
 *
 * - Accuracy: share of judged outcomes that were right (the tracker's `correct`: a BUY/SELL that
 *   made money, a HOLD whose triple-barrier label was HOLD; HOLDs that could not be judged are left
 *   out). Win rate: share of trades (BUY/SELL) with a positive P/L, as evaluate.ts counts it.
 * - A figure is degraded when it is at least `accuracyDrop` / `winRateDrop` (absolute) below the
 *   test figure AND the drop is significant: one-sided test of the observed share against the test
 *   figure, normal approximation to the binomial, at α/2 (two figures, Bonferroni).
 * - Below `minOutcomes` judged outcomes (or trades, for the win rate) the figure is reported but may
 *   not alarm: a handful of unlucky trades is not drift.
 * The score is the larger of the two drops (0 when neither fell), null with too few outcomes.
 */
import type { DriftThresholds } from './check.ts';
import type { ModelReference } from './reference.ts';
import { chiSquareSf } from './stats.ts';

export interface OutcomeSample {
  /** Whether the signal was right; null when it could not be judged. */
  correct: boolean | null;
  /** BUY or SELL (a trade); false for HOLD. */
  trade: boolean;
  /** Trade with positive P/L. */
  win: boolean;
}

export interface PerformanceDrift {
  drifted: boolean;
  /** Max of the two drops; 0 when neither fell. */
  score: number;
  judged: number;
  accuracy: number | null;
  testAccuracy: number;
  accuracyP: number | null;
  trades: number;
  winRate: number | null;
  testWinRate: number;
  winRateP: number | null;
  reason: string;
}

/** One-sided p-value of observing a share ≤ `observed` out of n when the true share is p0. */
export function lowerTailP(observed: number, p0: number, n: number): number {
  if (n <= 0) return NaN;
  if (p0 <= 0 || p0 >= 1) return observed < p0 ? 0 : 1;
  const z = (p0 - observed) / Math.sqrt((p0 * (1 - p0)) / n);
  // P(Z ≥ z) for z ≥ 0 is half the chi-square(1) tail of z².
  return z <= 0 ? 1 - 0.5 * chiSquareSf(z * z, 1) : 0.5 * chiSquareSf(z * z, 1);
}

export function performanceDrift(outcomes: readonly OutcomeSample[], test: ModelReference['test'], t: DriftThresholds): PerformanceDrift | null {
  if (!test) return null;
  let judged = 0;
  let correct = 0;
  let trades = 0;
  let wins = 0;
  for (const o of outcomes) {
    if (o.correct !== null) {
      judged++;
      if (o.correct) correct++;
    }
    if (o.trade) {
      trades++;
      if (o.win) wins++;
    }
  }
  if (judged < t.minOutcomes) return null;
  const accuracy = correct / judged;
  const winRate = trades > 0 ? wins / trades : null;
  const accuracyP = lowerTailP(accuracy, test.accuracy, judged);
  const winRateP = winRate === null ? null : lowerTailP(winRate, test.winRate, trades);
  const level = t.alpha / 2;
  const accDrop = test.accuracy - accuracy;
  const winDrop = winRate === null ? 0 : test.winRate - winRate;
  const accBad = accDrop >= t.accuracyDrop && accuracyP < level;
  const winBad = winRate !== null && trades >= t.minOutcomes && winDrop >= t.winRateDrop && winRateP! < level;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const reasons: string[] = [];
  if (accBad) reasons.push(`accuracy ${pct(accuracy)} vs ${pct(test.accuracy)} on test over ${judged} outcomes`);
  if (winBad) reasons.push(`win rate ${pct(winRate!)} vs ${pct(test.winRate)} on test over ${trades} trades`);
  return {
    drifted: accBad || winBad,
    score: Math.max(0, accDrop, winDrop),
    judged,
    accuracy,
    testAccuracy: test.accuracy,
    accuracyP,
    trades,
    winRate,
    testWinRate: test.winRate,
    winRateP,
    reason: reasons.join(', ') || `accuracy ${pct(accuracy)} (test ${pct(test.accuracy)}), win rate ${winRate === null ? 'n/a' : pct(winRate)} (test ${pct(test.winRate)})`,
  };
}
