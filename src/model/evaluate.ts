/**
 * Test-window report (DESIGN.md "Models"): classification figures and a trading simulation, for
 * any predictions (the model, the always-HOLD baseline, the rule consensus) over the same samples.
 *
 * Classification, over the 3 classes BUY, SELL, HOLD; confusion[actual][predicted]:
 *   precision_c = TP_c / predicted_c (0 when c was never predicted)
 *   recall_c    = TP_c / actual_c    (0 when c never occurs)
 *   F1_c        = 2 p r / (p + r)    (0 when p + r = 0); f1Macro = mean of the three F1_c.
 * Trading: every BUY or SELL prediction is one trade opened on that sample's candle and closed by
 * the barrier walk (domain/barrier.ts); its return r_i is that walk's net P/L in percent. HOLD
 * opens nothing. Trades are independent (one per signal, as the daemon records them) and taken in
 * sample order (time order). Per-trade figures, nothing annualised:
 *   winRate            fraction of trades with r_i > 0 (0..1)
 *   avgProfitPerTrade  mean r_i, percent
 *   profitFactor       Σ r_i>0 / |Σ r_i<0|
 *   maxDrawdown        largest fall of the equity curve E_k = Σ_{i≤k} r_i (percentage points, from
 *                      a running peak that starts at E_0 = 0), reported >= 0
 *   sharpe             mean r_i / sample standard deviation of r_i (n − 1)
 *   sortino            mean r_i / downside deviation sqrt(Σ min(r_i, 0)² / n)
 *   calmar             Σ r_i / maxDrawdown
 * With no trades every trading figure is 0 (the always-HOLD baseline). A ratio whose denominator
 * is 0 is +Infinity for a positive numerator (e.g. no losing trade), 0 for a zero numerator;
 * sharpe is 0 with fewer than two trades.
 */
import type { TripleBarrierLabel } from '../domain/barrier.ts';
import type { Direction } from '../domain/prediction.ts';
import type { ModelMetrics } from '../store/types.ts';
import { BUY, CLASSES, classIndex, HOLD, SELL } from './classes.ts';

export interface EvaluationInput {
  /** Triple-barrier label of each test sample, in time order. */
  actual: readonly Direction[];
  /** The predictions to score, aligned with `actual`. */
  predicted: readonly Direction[];
  /** Net P/L (%) of a BUY / a SELL opened at each sample (the barrier walk's pnlPct). */
  buyPnlPct: ArrayLike<number>;
  sellPnlPct: ArrayLike<number>;
}

export interface ClassReport {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Evaluation {
  metrics: ModelMetrics;
  /** confusion[actual][predicted], indices in CLASSES order (BUY, SELL, HOLD). */
  confusion: number[][];
  perClass: Record<Direction, ClassReport>;
  samples: number;
  totalPnlPct: number;
}

/** a / b with the conventions in the header. */
function ratio(a: number, b: number): number {
  if (b > 0) return a / b;
  return a > 0 ? Infinity : a < 0 ? -Infinity : 0;
}

/** The rows of `labels` as an evaluation input (labels from domain/barrier.ts). */
export function evaluationInput(labels: readonly TripleBarrierLabel[], predicted: readonly Direction[]): EvaluationInput {
  return {
    actual: labels.map((l) => l.label),
    predicted,
    buyPnlPct: labels.map((l) => l.long.pnlPct),
    sellPnlPct: labels.map((l) => l.short.pnlPct),
  };
}

/** Per-trade returns of the predictions, in sample order. */
export function tradeReturns(input: Omit<EvaluationInput, 'actual'>): number[] {
  const r: number[] = [];
  input.predicted.forEach((d, i) => {
    if (d === 'BUY') r.push(input.buyPnlPct[i]!);
    else if (d === 'SELL') r.push(input.sellPnlPct[i]!);
  });
  return r;
}

export function tradingFigures(returns: readonly number[]): Omit<ModelMetrics, 'accuracy' | 'precisionBuy' | 'precisionSell' | 'recallBuy' | 'recallSell' | 'f1Macro'> & {
  totalPnlPct: number;
} {
  const n = returns.length;
  if (n === 0) {
    return { winRate: 0, avgProfitPerTrade: 0, profitFactor: 0, maxDrawdown: 0, sharpe: 0, sortino: 0, calmar: 0, trades: 0, totalPnlPct: 0 };
  }
  let wins = 0;
  let gain = 0;
  let loss = 0;
  let equity = 0;
  let peak = 0;
  let maxDd = 0;
  let downsideSq = 0;
  for (const r of returns) {
    if (r > 0) {
      wins++;
      gain += r;
    } else if (r < 0) {
      loss -= r;
      downsideSq += r * r;
    }
    equity += r;
    if (equity > peak) peak = equity;
    if (peak - equity > maxDd) maxDd = peak - equity;
  }
  const mean = equity / n;
  let sq = 0;
  for (const r of returns) sq += (r - mean) ** 2;
  const std = n > 1 ? Math.sqrt(sq / (n - 1)) : 0;
  return {
    winRate: wins / n,
    avgProfitPerTrade: mean,
    profitFactor: ratio(gain, loss),
    maxDrawdown: maxDd,
    sharpe: n > 1 ? ratio(mean, std) : 0,
    sortino: ratio(mean, Math.sqrt(downsideSq / n)),
    calmar: ratio(equity, maxDd),
    trades: n,
    totalPnlPct: equity,
  };
}

export function evaluatePredictions(input: EvaluationInput): Evaluation {
  const n = input.actual.length;
  if (input.predicted.length !== n || input.buyPnlPct.length !== n || input.sellPnlPct.length !== n) {
    throw new RangeError(
      `evaluation arrays differ in length: actual ${n}, predicted ${input.predicted.length}, buy P/L ${input.buyPnlPct.length}, sell P/L ${input.sellPnlPct.length}`,
    );
  }
  const confusion = [0, 1, 2].map(() => [0, 0, 0]);
  for (let i = 0; i < n; i++) confusion[classIndex(input.actual[i]!)]![classIndex(input.predicted[i]!)]!++;
  const report = (c: number): ClassReport => {
    const tp = confusion[c]![c]!;
    const predicted = confusion[0]![c]! + confusion[1]![c]! + confusion[2]![c]!;
    const support = confusion[c]![0]! + confusion[c]![1]! + confusion[c]![2]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support };
  };
  const perClass = { BUY: report(BUY), SELL: report(SELL), HOLD: report(HOLD) };
  const correct = confusion[0]![0]! + confusion[1]![1]! + confusion[2]![2]!;
  const { totalPnlPct, ...trading } = tradingFigures(tradeReturns(input));
  return {
    metrics: {
      accuracy: n > 0 ? correct / n : 0,
      precisionBuy: perClass.BUY.precision,
      precisionSell: perClass.SELL.precision,
      recallBuy: perClass.BUY.recall,
      recallSell: perClass.SELL.recall,
      f1Macro: (perClass.BUY.f1 + perClass.SELL.f1 + perClass.HOLD.f1) / CLASSES.length,
      ...trading,
    },
    confusion,
    perClass,
    samples: n,
    totalPnlPct,
  };
}

/** The always-HOLD baseline on the same samples: no trades, HOLD's F1 only. */
export function evaluateAlwaysHold(input: Omit<EvaluationInput, 'predicted'>): Evaluation {
  return evaluatePredictions({ ...input, predicted: input.actual.map(() => 'HOLD' as const) });
}
