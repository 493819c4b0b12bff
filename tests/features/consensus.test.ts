import { describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../src/domain/indicators.ts';
import { consensus, indicatorVotes } from '../../src/features/consensus.ts';
import { technicalSummary } from '../../src/features/summary.ts';
import { uniformWeights, type IndicatorWeights } from '../../src/features/weights.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { loadBars } from './candles.ts';

const close = 100;
const bar = { close, volume: 300, openTime: Date.UTC(2018, 0, 15, 14, 5) };

/** A market clearly trending up and not stretched: price above every average, MACD above signal. */
const bullish: IndicatorValues = {
  adx_value: 35,
  rsi_value: 45, // not overbought: the mean-reversion votes lean (mildly) buy too
  ema_12: 98,
  ema_21: 97,
  ema_50: 95,
  vwap: 97,
  atr_value: 1,
  bollinger_upper: 104,
  bollinger_lower: 94, // %B = 0.6
  stoch_k: 40,
  stoch_d: 30,
  macd_line: 0.8,
  macd_signal: 0.3,
  volume_ma: 100,
  price_change_pct: 0.8,
  volatility: 0.01,
  mfi_value: 40,
};

/** The mirror image around the close (levels reflected, oscillators reflected around 50). */
function mirror(v: IndicatorValues): IndicatorValues {
  const refl = (x: number | null) => (x === null ? null : 2 * close - x);
  const osc = (x: number | null) => (x === null ? null : 100 - x);
  const neg = (x: number | null) => (x === null ? null : -x);
  return {
    ...v,
    rsi_value: osc(v.rsi_value),
    ema_12: refl(v.ema_12),
    ema_21: refl(v.ema_21),
    ema_50: refl(v.ema_50),
    vwap: refl(v.vwap),
    bollinger_upper: refl(v.bollinger_lower),
    bollinger_lower: refl(v.bollinger_upper),
    stoch_k: osc(v.stoch_k),
    stoch_d: osc(v.stoch_d),
    macd_line: neg(v.macd_line),
    macd_signal: neg(v.macd_signal),
    price_change_pct: neg(v.price_change_pct),
    mfi_value: osc(v.mfi_value),
  };
}

const neutral: IndicatorValues = {
  ...bullish,
  adx_value: 10,
  rsi_value: 50,
  ema_12: close,
  ema_21: close,
  ema_50: close,
  vwap: close,
  bollinger_upper: 102,
  bollinger_lower: 98,
  stoch_k: 50,
  stoch_d: 50,
  macd_line: 0,
  macd_signal: 0,
  price_change_pct: 0,
  mfi_value: 50,
};

describe('rule consensus', () => {
  it('gives every vote in [-1, 1] and lets ATR and volatility abstain', () => {
    const votes = indicatorVotes(bullish, bar);
    for (const c of INDICATOR_COLUMNS) {
      const v = votes[c];
      if (c === 'atr_value' || c === 'volatility') expect(v).toBeNull();
      else expect(Math.abs(v!)).toBeLessThanOrEqual(1);
    }
    // Worked from the table in src/features/consensus.ts: ADX 35 → m = 0.5 + 0.5·clip(20/15) = 1.
    expect(votes.ema_50).toBe(1); // (100 − 95) / ATR 1 = 5 → clipped to 1
    expect(votes.rsi_value).toBeCloseTo(0.1, 12); // (50 − 45) / 50
    expect(votes.bollinger_upper).toBeCloseTo(-0.2, 12); // 1 − 2 · 0.6
    expect(votes.volume_ma).toBe(1); // up candle on 3× average volume
    expect(votes.adx_value).toBeCloseTo(0.75, 12); // sign(98 − 95) · (35 − 20) / 20
  });

  it('says BUY on a constructed uptrend, SELL on its mirror image, HOLD on a flat market', () => {
    const w = uniformWeights();
    const up = consensus(bullish, bar, w);
    const down = consensus(mirror(bullish), bar, w);
    const flat = consensus(neutral, bar, w);
    expect(up.direction).toBe('BUY');
    expect(down.direction).toBe('SELL');
    expect(down.score).toBeCloseTo(-up.score, 12);
    expect(flat.direction).toBe('HOLD');
    expect(flat.score).toBe(0);
    expect(flat.confidence).toBe(1);
    for (const r of [up, down, flat]) {
      const p = r.probabilities;
      expect(p.BUY + p.SELL + p.HOLD).toBeCloseTo(1, 12);
      expect(p[r.direction]).toBe(r.confidence);
      expect(Math.max(p.BUY, p.SELL, p.HOLD)).toBe(r.confidence);
    }
  });

  it('is the weight-averaged vote: zero weight silences a column, a lone voter decides', () => {
    const onlyRsi = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, c === 'rsi_value' ? 1.3 : 0])) as IndicatorWeights;
    const oversold = { ...neutral, rsi_value: 10 };
    const r = consensus(oversold, bar, onlyRsi);
    expect(r.voters).toBe(1);
    expect(r.score).toBeCloseTo(0.8, 12); // (50 − 10) / 50
    expect(r.direction).toBe('BUY');
    expect(r.confidence).toBeCloseTo(0.5 + (0.5 * (0.8 - 0.2)) / 0.8, 12);

    // Doubling RSI's weight among uniform weights moves the score toward RSI's vote.
    const base = consensus(oversold, bar, uniformWeights()).score;
    const heavier = consensus(oversold, bar, { ...uniformWeights(), rsi_value: 2 }).score;
    expect(heavier).toBeGreaterThan(base);
  });

  it('is 0.5 confident exactly at a threshold and counts only warmed-up voters', () => {
    const onlyMfi = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, c === 'mfi_value' ? 1 : 0])) as IndicatorWeights;
    const atThreshold = consensus({ ...neutral, mfi_value: 40 }, bar, onlyMfi); // vote 0.2
    expect(atThreshold.direction).toBe('BUY');
    expect(atThreshold.confidence).toBeCloseTo(0.5, 12);
    const warming = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, null])) as IndicatorValues;
    const r = consensus({ ...warming, rsi_value: 80 }, bar, uniformWeights());
    expect(r.voters).toBe(1);
    expect(r.direction).toBe('SELL');
  });
});

describe('technical summary', () => {
  it('reads an uptrend, its momentum, volume and session', () => {
    const s = technicalSummary(bullish, bar, { volatilityBaseline: 0.004, symbol: 'EUR/USD' });
    expect(s.trend).toBe('up'); // ADX 35 ≥ 20, ema_12 > ema_21 > ema_50
    expect(s.trendStrength).toBe('moderate');
    expect(s.momentum).toBe('neutral'); // MACD > signal but RSI 45 < 50
    expect(s.volatility).toBe('high'); // 0.01 / 0.004 = 2.5 > 1.5
    expect(s.volume).toBe('high'); // 300 / 100
    expect(s.session).toBe('london_new_york'); // Monday 14:05 UTC = 14:05 GMT, 09:05 EST
    expect(s.text).toContain('uptrend');
  });

  it('reads a downtrend, an overbought RSI and a trendless market', () => {
    expect(technicalSummary(mirror(bullish), bar).trend).toBe('down');
    expect(technicalSummary({ ...bullish, rsi_value: 75 }, bar).momentum).toBe('overbought');
    expect(technicalSummary({ ...bullish, adx_value: 12 }, bar).trend).toBe('sideways');
    expect(technicalSummary(bullish, bar).volatility).toBe('normal'); // no baseline yet
  });

  it('keeps stored market-context values short, and names the session by the symbol\'s market', () => {
    const s = technicalSummary(bullish, bar);
    for (const v of [s.trend, s.volatility]) expect(v.length).toBeLessThanOrEqual(10);
    const at = (iso: string) => ({ ...bar, openTime: Date.parse(iso) });
    expect(technicalSummary(bullish, at('2026-01-14T11:00:00Z'), { symbol: 'LTC/BTC' }).session).toBe('24h');
    expect(technicalSummary(bullish, at('2026-01-14T11:00:00Z'), { symbol: 'EUR/USD' }).session).toBe('london');
    expect(technicalSummary(bullish, at('2026-01-17T11:00:00Z'), { symbol: 'EUR/USD' }).session).toBe('closed');
    expect(technicalSummary(bullish, at('2026-01-14T11:00:00Z'), { symbol: 'SPX500/USD', market: 'forex' }).session).toBe('london');
  });
});

describe('consensus probabilities on real candles', () => {
  it('are never negative and sum to 1 on every warm candle of LTC/BTC', () => {
    const set = new IndicatorSet('LTC/BTC');
    let checked = 0;
    for (const bar of loadBars('LTC_BTC-5m.json')) {
      const v = set.update(bar);
      if (!set.isReady) continue;
      const p = consensus(v, bar, uniformWeights()).probabilities;
      expect(Math.min(p.BUY, p.SELL, p.HOLD)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(p.BUY + p.SELL + p.HOLD - 1)).toBeLessThan(1e-12);
      checked++;
    }
    expect(checked).toBeGreaterThan(5000);
  });
});
