import { describe, expect, it } from 'vitest';
import { tripleBarrierLabels, type TripleBarrierLabel } from '../../src/domain/barrier.ts';
import type { Direction } from '../../src/domain/prediction.ts';
import { evaluateAlwaysHold, evaluatePredictions, evaluationInput, tradingFigures } from '../../src/model/evaluate.ts';

// Hand-computed case (figures derived in the comments, definitions in src/model/evaluate.ts).
const actual: Direction[] = ['BUY', 'SELL', 'HOLD', 'HOLD', 'BUY', 'SELL'];
const predicted: Direction[] = ['BUY', 'HOLD', 'HOLD', 'BUY', 'BUY', 'SELL'];
const buyPnlPct = [3.8, 0.5, -0.7, -3.2, 1.0, -2.0];
const sellPnlPct = [-3.2, 3.8, 0.3, 1.2, -1.5, 2.0];

describe('evaluatePredictions', () => {
  const e = evaluatePredictions({ actual, predicted, buyPnlPct, sellPnlPct });

  it('builds the confusion matrix [actual][predicted]', () => {
    expect(e.confusion).toEqual([
      [2, 0, 0], // actual BUY: predicted BUY twice
      [0, 1, 1], // actual SELL: one SELL, one HOLD
      [1, 0, 1], // actual HOLD: one BUY, one HOLD
    ]);
  });

  it('computes accuracy, precision, recall and macro F1', () => {
    expect(e.metrics.accuracy).toBeCloseTo(4 / 6, 12);
    expect(e.metrics.precisionBuy).toBeCloseTo(2 / 3, 12); // 2 of 3 BUY predictions right
    expect(e.metrics.recallBuy).toBe(1);
    expect(e.metrics.precisionSell).toBe(1);
    expect(e.metrics.recallSell).toBe(0.5);
    // F1: BUY 0.8, SELL 2/3, HOLD 0.5
    expect(e.perClass.BUY.f1).toBeCloseTo(0.8, 12);
    expect(e.perClass.HOLD.f1).toBeCloseTo(0.5, 12);
    expect(e.metrics.f1Macro).toBeCloseTo((0.8 + 2 / 3 + 0.5) / 3, 12);
  });

  it('simulates one trade per BUY/SELL prediction with the barrier P/L', () => {
    // trades: BUY@0 3.8, BUY@3 −3.2, BUY@4 1.0, SELL@5 2.0 → equity 3.8, 0.6, 1.6, 3.6
    const m = e.metrics;
    expect(m.trades).toBe(4);
    expect(m.winRate).toBe(0.75);
    expect(m.avgProfitPerTrade).toBeCloseTo(0.9, 12);
    expect(m.profitFactor).toBeCloseTo(6.8 / 3.2, 12);
    expect(m.maxDrawdown).toBeCloseTo(3.2, 12);
    expect(m.calmar).toBeCloseTo(3.6 / 3.2, 12);
    // sample std: sqrt((2.9² + 4.1² + 0.1² + 1.1²) / 3) = sqrt(26.44 / 3)
    expect(m.sharpe).toBeCloseTo(0.9 / Math.sqrt(26.44 / 3), 12);
    // downside deviation: sqrt(3.2² / 4) = 1.6
    expect(m.sortino).toBeCloseTo(0.9 / 1.6, 12);
    expect(e.totalPnlPct).toBeCloseTo(3.6, 12);
  });

  it('scores always-HOLD with no trades and HOLD F1 alone', () => {
    const h = evaluateAlwaysHold({ actual, buyPnlPct, sellPnlPct });
    expect(h.metrics.accuracy).toBeCloseTo(2 / 6, 12);
    // HOLD: precision 2/6, recall 1 → F1 0.5; BUY and SELL F1 0
    expect(h.metrics.f1Macro).toBeCloseTo(0.5 / 3, 12);
    expect(h.metrics).toMatchObject({ trades: 0, winRate: 0, profitFactor: 0, maxDrawdown: 0, sharpe: 0, sortino: 0, calmar: 0 });
  });

  it('uses +Infinity for a ratio over zero losses, and refuses misaligned arrays', () => {
    const t = tradingFigures([1, 2]);
    expect(t.profitFactor).toBe(Infinity);
    expect(t.sortino).toBe(Infinity);
    expect(t.calmar).toBe(Infinity);
    expect(t.sharpe).toBeCloseTo(1.5 / Math.SQRT1_2, 12);
    expect(tradingFigures([2]).sharpe).toBe(0);
    expect(() => evaluatePredictions({ actual, predicted: predicted.slice(1), buyPnlPct, sellPnlPct })).toThrow(RangeError);
  });

  it('takes its P/L from the barrier walk when fed triple-barrier labels', () => {
    // signal candle close 100, ATR 2: the long take profit 104 is hit on the next candle
    const s = { high: [100, 104.5, 101, 101], low: [100, 100, 99, 99], close: [100, 104, 100, 100] };
    const labels = tripleBarrierLabels(s, [2, 2, 2, 2], { tpAtrMult: 2, slAtrMult: 1.5, horizon: 2, feePct: 0.1 });
    const rows = labels.filter((l): l is TripleBarrierLabel => l !== null);
    const r = evaluatePredictions(evaluationInput(rows, ['BUY', 'HOLD']));
    expect(rows[0]!.label).toBe('BUY');
    expect(r.metrics.avgProfitPerTrade).toBeCloseTo(3.8, 12); // 4 % − 2 × 0.1 % fee
  });
});
