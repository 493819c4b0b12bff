import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { barrierLevels, type BarrierParams } from '../../src/domain/barrier.ts';
import type { Candle } from '../../src/domain/candle.ts';
import type { IndicatorValues } from '../../src/domain/indicators.ts';
import type { Direction } from '../../src/domain/prediction.ts';
import { toSignal } from '../../src/domain/signal.ts';
import { consensus } from '../../src/features/consensus.ts';
import { SymbolFeatureState } from '../../src/features/symbol-state.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import {
  chooseDirection,
  decideSignal,
  MODEL_THRESHOLDS,
  PolicyInputError,
  recommendationFor,
  RULES_MODEL_VERSION,
  RULES_THRESHOLDS,
  rulesProbabilities,
  type PolicyInput,
} from '../../src/signals/policy.ts';
import { predictionId, uuidV5 } from '../../src/signals/prediction-id.ts';
import { assessRisk, positionMultiplier, signalWeight } from '../../src/signals/sizing.ts';
import { loadBars } from '../features/candles.ts';

const BARRIER: BarrierParams = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const clock = { now: () => Date.UTC(2026, 0, 1) };

/** Real LTC/BTC 5m candles (Binance, January 2018) through the real indicators. */
function realSteps(count: number): Array<{ candle: Candle; values: IndicatorValues; state: SymbolFeatureState }> {
  const state = new SymbolFeatureState('LTC/BTC');
  return loadBars('LTC_BTC-5m.json')
    .slice(0, count)
    .map((bar) => {
      const candle: Candle = { symbol: 'LTC/BTC', timeframe: '5m', ...bar };
      return { candle, values: state.update(bar), state };
    });
}

const steps = realSteps(600);
const warm = steps[300]!;

function input(over: Partial<PolicyInput> = {}): PolicyInput {
  return {
    candle: warm.candle,
    indicators: warm.values,
    probabilities: { BUY: 0.71, SELL: 0.08, HOLD: 0.21 },
    modelVersion: 'v20261121030000-3fa9c1',
    weights: uniformWeights(),
    barrier: BARRIER,
    clock,
    processingTimeMs: 3.5,
    ...over,
  };
}

describe('prediction ids', () => {
  it('implements RFC 4122 version 5 (vector from the Python uuid documentation)', () => {
    // uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org') == UUID('886313e1-3b8a-5372-9b90-0c9aee199e5d')
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('is equal for equal natural keys and different when any part differs', () => {
    const t = Date.UTC(2018, 0, 20, 10, 5);
    const id = predictionId('LTC/BTC', '5m', t, 'rules');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Pinned: stored ids and subscribers' resume cursors depend on these exact values.
    expect(id).toBe('df6200c5-1a6f-54e0-9813-c5fd8016d3bb');
    expect(predictionId('ÄBC/€', '1h', 0, 'v1')).toBe('c98c2256-3327-503f-9cff-9521d67e2c17');
    expect(predictionId('LTC/BTC', '5m', t, 'rules')).toBe(id);
    const others = [
      predictionId('XLM/BTC', '5m', t, 'rules'),
      predictionId('LTC/BTC', '1m', t, 'rules'),
      predictionId('LTC/BTC', '5m', t + 300_000, 'rules'),
      predictionId('LTC/BTC', '5m', t, 'v1'),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });

  it('is what decideSignal assigns, so a replay of the same candle gets the same id', () => {
    const a = decideSignal(input());
    const b = decideSignal(input({ processingTimeMs: 9, clock: { now: () => 1 } }));
    expect(a.id).toBe(predictionId('LTC/BTC', '5m', warm.candle.openTime, 'v20261121030000-3fa9c1'));
    expect(b.id).toBe(a.id);
    expect(decideSignal(input({ modelVersion: 'rules' })).id).not.toBe(a.id);
  });
});

describe('direction rule', () => {
  const T = MODEL_THRESHOLDS; // minConfidence 0.45, minMargin 0.10
  it('takes the argmax when it is confident and clear', () => {
    const buy = chooseDirection({ BUY: 0.71, SELL: 0.08, HOLD: 0.21 }, T, true);
    expect(buy).toMatchObject({ direction: 'BUY', demoted: null });
    expect(buy.confidence).toBeCloseTo(0.71, 12);
    const sell = chooseDirection({ BUY: 0.1, SELL: 0.6, HOLD: 0.3 }, T, true);
    expect(sell.direction).toBe('SELL');
    expect(sell.confidence).toBeCloseTo(0.6, 12);
    const hold = chooseDirection({ BUY: 0.2, SELL: 0.2, HOLD: 0.6 }, T, true);
    expect(hold.direction).toBe('HOLD');
    expect(hold.confidence).toBeCloseTo(0.6, 12);
  });

  it('turns a weak BUY/SELL into HOLD, with HOLD probability as confidence', () => {
    // 0.44 < minConfidence 0.45
    const weak = chooseDirection({ BUY: 0.44, SELL: 0.26, HOLD: 0.3 }, T, true);
    expect(weak).toMatchObject({ direction: 'HOLD', argmax: 'BUY', demoted: 'low_confidence' });
    expect(weak.confidence).toBeCloseTo(0.3, 12);
    // lead 0.5 − 0.42 = 0.08 < minMargin 0.10
    expect(chooseDirection({ BUY: 0.08, SELL: 0.5, HOLD: 0.42 }, T, true)).toMatchObject({ direction: 'HOLD', argmax: 'SELL', demoted: 'low_margin' });
    // no ATR: no barriers
    expect(chooseDirection({ BUY: 0.9, SELL: 0.05, HOLD: 0.05 }, T, false)).toMatchObject({ direction: 'HOLD', demoted: 'no_atr' });
    // BUY and SELL tie for the maximum
    expect(chooseDirection({ BUY: 0.4, SELL: 0.4, HOLD: 0.2 }, T, true)).toMatchObject({ direction: 'HOLD', demoted: 'tie' });
  });

  it('normalises probabilities and refuses unusable ones', () => {
    const c = chooseDirection({ BUY: 2, SELL: 1, HOLD: 1 }, T, true);
    expect(c.probabilities).toEqual({ BUY: 0.5, SELL: 0.25, HOLD: 0.25 });
    expect(c.direction).toBe('BUY');
    expect(() => chooseDirection({ BUY: Number.NaN, SELL: 0, HOLD: 1 }, T, true)).toThrow(PolicyInputError);
    expect(() => chooseDirection({ BUY: -0.1, SELL: 0.6, HOLD: 0.5 }, T, true)).toThrow(PolicyInputError);
    expect(() => chooseDirection({ BUY: 0, SELL: 0, HOLD: 0 }, T, true)).toThrow(PolicyInputError);
  });

  it('maps confidence to a recommendation at 0.70', () => {
    expect(recommendationFor('BUY', 0.71, 0.7)).toBe('STRONG_BUY');
    expect(recommendationFor('BUY', 0.69, 0.7)).toBe('BUY');
    expect(recommendationFor('SELL', 0.7, 0.7)).toBe('STRONG_SELL');
    expect(recommendationFor('SELL', 0.5, 0.7)).toBe('SELL');
    expect(recommendationFor('HOLD', 0.99, 0.7)).toBe('HOLD');
  });

  it('always yields probabilities summing to 1 and a confidence equal to the chosen class', () => {
    const prob = fc.double({ min: 0, max: 1, noNaN: true });
    fc.assert(
      fc.property(prob, prob, prob, fc.boolean(), (b, s, h, atr) => {
        fc.pre(b + s + h > 1e-9);
        const c = chooseDirection({ BUY: b, SELL: s, HOLD: h }, T, atr);
        const p = c.probabilities;
        expect(p.BUY + p.SELL + p.HOLD).toBeCloseTo(1, 12);
        expect(c.confidence).toBe(p[c.direction]);
        if (c.direction !== 'HOLD') {
          expect(c.confidence).toBeGreaterThanOrEqual(T.minConfidence);
          expect(atr).toBe(true);
        }
      }),
    );
  });
});

describe('decideSignal on real candles', () => {
  const atr = warm.values.atr_value!;

  it('BUY: stop loss and take profit are the barrier levels the tracker uses', () => {
    const p = decideSignal(input());
    expect(p.predictedDirection).toBe('BUY');
    expect(p.recommendation).toBe('STRONG_BUY');
    expect(p.entryPrice).toBe(warm.candle.close);
    expect({ stopLoss: p.stopLoss, takeProfit: p.takeProfit }).toEqual(barrierLevels('BUY', warm.candle.close, atr, BARRIER));
    expect(p.candleTime).toBe(warm.candle.openTime);
    expect(p.processingTimeMs).toBe(3.5);
    expect(p.createdAt).toBe(clock.now());
    expect(p.technicalIndicators).toEqual(warm.values);
    expect(p.riskAssessment?.barrier).toEqual({ tp_atr_mult: 2, sl_atr_mult: 1.5, horizon: 24, fee_pct: 0.1 });
  });

  it('SELL mirrored; HOLD has no stop loss, no take profit and no position', () => {
    const sell = decideSignal(input({ probabilities: { BUY: 0.1, SELL: 0.6, HOLD: 0.3 } }));
    expect({ stopLoss: sell.stopLoss, takeProfit: sell.takeProfit }).toEqual(barrierLevels('SELL', warm.candle.close, atr, BARRIER));
    expect(sell.stopLoss!).toBeGreaterThan(sell.entryPrice);
    const hold = decideSignal(input({ probabilities: { BUY: 0.2, SELL: 0.2, HOLD: 0.6 } }));
    expect(hold).toMatchObject({ predictedDirection: 'HOLD', recommendation: 'HOLD', stopLoss: null, takeProfit: null, positionMultiplier: 0 });
  });

  it('during ATR warm-up a confident BUY becomes HOLD (no barriers to track)', () => {
    const early = steps[5]!;
    expect(early.values.atr_value).toBeNull();
    const p = decideSignal(input({ candle: early.candle, indicators: early.values }));
    expect(p.predictedDirection).toBe('HOLD');
    expect(p.riskAssessment?.demoted).toBe('no_atr');
    expect(p.stopLoss).toBeNull();
  });

  it('refuses a timestamp as processing time', () => {
    expect(() => decideSignal(input({ processingTimeMs: Date.now() }))).toThrow(PolicyInputError);
  });

  it('maps to the wire Signal with every field in range', () => {
    const s = toSignal(decideSignal(input()));
    expect(s.signal_weight).toBeGreaterThanOrEqual(0);
    expect(s.signal_weight).toBeLessThanOrEqual(1);
    expect(s.position_multiplier).toBeGreaterThanOrEqual(0.5);
    expect(s.position_multiplier).toBeLessThanOrEqual(1.5);
    expect(s.risk_score).toBeGreaterThanOrEqual(0);
    expect(s.risk_score).toBeLessThanOrEqual(1);
    expect(s.probabilities.BUY + s.probabilities.SELL + s.probabilities.HOLD).toBeCloseTo(1, 12);
  });
});

describe('rule fallback', () => {
  it('gives the consensus direction on every warm real candle, probabilities summing to 1', () => {
    const weights = uniformWeights();
    const seen = new Set<Direction>();
    let checked = 0;
    for (const { candle, values } of steps) {
      if (values.atr_value === null) continue;
      const c = consensus(values, candle, weights);
      const p = decideSignal(input({ candle, indicators: values, modelVersion: RULES_MODEL_VERSION, probabilities: rulesProbabilities(c), consensus: c }));
      expect(p.predictedDirection).toBe(c.direction);
      expect(p.confidenceScore).toBeCloseTo(c.confidence, 12);
      expect(p.probabilities.BUY + p.probabilities.SELL + p.probabilities.HOLD).toBeCloseTo(1, 12);
      seen.add(p.predictedDirection);
      checked++;
    }
    expect(checked).toBeGreaterThan(500);
    // the sample exercises all three directions, so the equality above is not vacuous
    expect([...seen].sort()).toEqual(['BUY', 'HOLD', 'SELL']);
  });

  it('uses RULES_THRESHOLDS for the rules version unless told otherwise', () => {
    const weak = { BUY: 0.4, SELL: 0.25, HOLD: 0.35 };
    expect(decideSignal(input({ modelVersion: 'rules', probabilities: weak })).predictedDirection).toBe('BUY');
    expect(decideSignal(input({ modelVersion: 'v1', probabilities: weak })).predictedDirection).toBe('HOLD');
    expect(decideSignal(input({ modelVersion: 'rules', probabilities: weak, thresholds: MODEL_THRESHOLDS })).predictedDirection).toBe('HOLD');
    expect(RULES_THRESHOLDS.minMargin).toBe(0);
  });
});

describe('sizing (hand-computed)', () => {
  it('signal weight = confidence × agreement with the consensus', () => {
    // BUY, confidence 0.8, consensus 0.5: 0.8 × (1 + 0.5) / 2 = 0.6
    expect(signalWeight('BUY', 0.8, 0.5)).toBeCloseTo(0.6, 12);
    // SELL against a bullish consensus: 0.8 × (1 − 0.5) / 2 = 0.2
    expect(signalWeight('SELL', 0.8, 0.5)).toBeCloseTo(0.2, 12);
    // HOLD, consensus 0.5: 0.8 × (1 − 0.5) = 0.4
    expect(signalWeight('HOLD', 0.8, 0.5)).toBeCloseTo(0.4, 12);
  });

  it('position multiplier grows with confidence and shrinks in a volatile regime', () => {
    // strength (0.8 − 1/3) / (2/3) = 0.7 → 1.2; × 0.6 in a high regime = 0.72; × 1.2 low = 1.44
    expect(positionMultiplier('BUY', 0.8, 'normal')).toBeCloseTo(1.2, 12);
    expect(positionMultiplier('SELL', 0.8, 'high')).toBeCloseTo(0.72, 12);
    expect(positionMultiplier('BUY', 0.8, 'low')).toBeCloseTo(1.44, 12);
    expect(positionMultiplier('BUY', 1, 'low')).toBe(1.5);
    expect(positionMultiplier('BUY', 0.3, 'high')).toBe(0.5);
    expect(positionMultiplier('HOLD', 0.9, 'normal')).toBe(0);
  });

  it('risk score from stop distance, regime and uncertainty', () => {
    // close 100, ATR 1, stop 1.5 × ATR = 1.5 %: stop risk 1.5 / 2.5 = 0.6;
    // 0.5 × 0.6 + 0.2 × 0.5 (normal) + 0.3 × (1 − 0.8) = 0.46
    expect(assessRisk({ confidence: 0.8, close: 100, atr: 1, slAtrMult: 1.5, regime: 'normal' }).risk_score).toBeCloseTo(0.46, 12);
    // unknown ATR counts as the widest stop: 0.5 + 0.2 + 0.06 = 0.76
    expect(assessRisk({ confidence: 0.8, close: 100, atr: null, slAtrMult: 1.5, regime: 'high' }).risk_score).toBeCloseTo(0.76, 12);
  });
});
