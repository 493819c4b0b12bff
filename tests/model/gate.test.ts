/**
 * The promotion gate on constructed figures (model/gate.ts): each condition refuses on its own,
 * with its reason, and a candidate that meets all three passes.
 */
import { describe, expect, it } from 'vitest';
import { expectancyBound, normalQuantile, tQuantile } from '../../src/model/expectancy.ts';
import { MIN_GATE_TRADES, promotionGate, type GateInput } from '../../src/model/gate.ts';

/** n trades alternating mean+d and mean−d: sample sd = d·sqrt(n/(n−1)). */
const trades = (n: number, mean: number, d: number) => Array.from({ length: n }, (_, i) => (i % 2 ? mean - d : mean + d));
const good = expectancyBound(trades(200, 0.2, 0.5));
const base: GateInput = { candidate: { f1Macro: 0.45, profitFactor: 1.4 }, alwaysHold: { f1Macro: 0.21 }, incumbent: { version: 'rules', profitFactor: 1.1 }, expectancy: good };

describe('expectancyBound', () => {
  it('is the one-sided Student-t lower bound of the mean', () => {
    // Exact t quantiles (R: qt(0.95, df)): 10 → 1.812461, 30 → 1.697261, 199 → 1.652547.
    expect(tQuantile(0.95, 10)).toBeCloseTo(1.812461, 3);
    expect(tQuantile(0.95, 30)).toBeCloseTo(1.697261, 4);
    expect(tQuantile(0.95, 199)).toBeCloseTo(1.652547, 5);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 6);
    const e = expectancyBound(trades(200, 0.2, 0.5));
    const sd = 0.5 * Math.sqrt(200 / 199);
    expect(e.mean).toBeCloseTo(0.2, 12);
    expect(e.lower).toBeCloseTo(0.2 - 1.652547 * (sd / Math.sqrt(200)), 5);
    expect(expectancyBound([0.3]).lower).toBe(-Infinity);
  });
});

describe('promotionGate', () => {
  it('passes a model that beats always-HOLD, matches what serves and has a positive expectancy bound', () => {
    const d = promotionGate(base);
    expect(d.pass).toBe(true);
    expect(d.reason).toBe(
      "macro F1 0.4500 beats always-HOLD 0.2100; profit factor 1.4000 >= the rule consensus's (serving, no active model) 1.1000; " +
        `net expectancy 0.2000% per trade after fees over 200 trades, one-sided 95% lower bound ${good.lower.toFixed(4)}% > 0 (beats always-HOLD)`,
    );
  });

  it('refuses a model whose profit factor is below the rule consensus that serves', () => {
    const d = promotionGate({ ...base, candidate: { f1Macro: 0.45, profitFactor: 0.85 }, incumbent: { version: 'rules', profitFactor: 0.95 } });
    expect(d.pass).toBe(false);
    expect(d.reason).toContain("profit factor 0.8500 < the rule consensus's (serving, no active model) 0.9500");
  });

  it("compares with the active model's profit factor when one serves", () => {
    const d = promotionGate({ ...base, incumbent: { version: 'v20261121030000-3fa9c1', profitFactor: 1.5 } });
    expect(d.pass).toBe(false);
    expect(d.reason).toContain("profit factor 1.4000 < active model v20261121030000-3fa9c1's 1.5000");
    expect(promotionGate({ ...base, incumbent: { version: 'v1', profitFactor: 1.4 } }).pass).toBe(true);
  });

  it('refuses a negative net expectancy, and a positive mean whose bound is not above zero', () => {
    // The first model: −0.059% a trade over 1,813 trades, profit factor 0.85 (1,812 here: the alternating series needs an even count).
    const losing = expectancyBound(trades(1812, -0.059, 0.8));
    const d = promotionGate({ ...base, candidate: { f1Macro: 0.42, profitFactor: 0.85 }, incumbent: { version: 'rules', profitFactor: 0.8 }, expectancy: losing });
    expect(d.pass).toBe(false);
    expect(d.reason).toContain('net expectancy -0.0590% per trade after fees over 1812 trades');
    expect(d.reason).toContain('<= 0 (not above always-HOLD with that confidence)');
    const noisy = expectancyBound(trades(40, 0.05, 2));
    expect(noisy.mean).toBeGreaterThan(0);
    expect(promotionGate({ ...base, expectancy: noisy }).pass).toBe(false);
  });

  it('refuses too few trades to show anything, and a macro F1 that does not beat always-HOLD', () => {
    const few = promotionGate({ ...base, expectancy: expectancyBound(trades(MIN_GATE_TRADES - 1, 1, 0.01)) });
    expect(few.pass).toBe(false);
    expect(few.reason).toContain(`${MIN_GATE_TRADES - 1} trades, fewer than the ${MIN_GATE_TRADES} needed`);
    const tie = promotionGate({ ...base, candidate: { f1Macro: 0.21, profitFactor: 2 } });
    expect(tie.pass).toBe(false);
    expect(tie.reason).toContain('does not beat always-HOLD');
  });
});
