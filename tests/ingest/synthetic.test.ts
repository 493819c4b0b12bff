/** Synthetic feed: determinism, valid and continuous OHLC, regime shift on request. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SYNTHETIC_DEFAULTS, SyntheticSource, syntheticSeries, type SyntheticParams } from '../../src/ingest/synthetic.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { validateCandle } from '../../src/ingest/validate.ts';

const params = (p: Partial<SyntheticParams> = {}): SyntheticParams => ({ ...SYNTHETIC_DEFAULTS, candles: 600, ...p });

function logReturns(closes: number[]): number[] {
  return closes.slice(1).map((c, i) => Math.log(c / closes[i]!));
}
function std(xs: number[]): number {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
}

describe('synthetic candles', () => {
  it('are identical for identical parameters and differ with the seed', () => {
    const a = syntheticSeries(params({ seed: 7, symbols: 3 }));
    const b = syntheticSeries(params({ seed: 7, symbols: 3 }));
    const c = syntheticSeries(params({ seed: 8, symbols: 3 }));
    expect(b).toEqual(a);
    expect(c[0]![10]!.close).not.toBe(a[0]![10]!.close);
  });

  it('do not change for existing symbols when symbols are added', () => {
    const two = syntheticSeries(params({ symbols: 2 }));
    const five = syntheticSeries(params({ symbols: 5 }));
    expect(five.slice(0, 2)).toEqual(two);
  });

  it('are valid, aligned, continuous candles named SYNi/USD', () => {
    const series = syntheticSeries(params({ symbols: 4, timeframe: '1m', vol: 0.01, candles: 2000 }));
    const problems: string[] = [];
    series.forEach((candles, i) => {
      expect(candles).toHaveLength(2000);
      candles.forEach((c, k) => {
        if (c.symbol !== `SYN${i}/USD`) problems.push(`${i}/${k}: symbol ${c.symbol}`);
        if (c.openTime !== SYNTHETIC_DEFAULTS.start + k * 60_000) problems.push(`${i}/${k}: openTime ${c.openTime}`);
        const check = validateCandle(c, { now: Date.UTC(2100, 0, 1) });
        if (!check.ok) problems.push(`${i}/${k}: ${check.reason}`);
        if (!(c.volume > 0)) problems.push(`${i}/${k}: volume ${c.volume}`);
        if (k > 0 && c.open !== candles[k - 1]!.close) problems.push(`${i}/${k}: open is not the previous close`);
      });
    });
    expect(problems).toEqual([]);
  });

  it('switch to the forced regime at shift_at: volatility multiplies by shift_vol', () => {
    const shiftAt = 1500;
    const series = syntheticSeries(params({ symbols: 6, candles: 3000, shiftAt, shiftVol: 3 }));
    const unshifted = syntheticSeries(params({ symbols: 6, candles: 3000 }));
    for (let i = 0; i < 6; i++) {
      const r = logReturns(series[i]!.map((c) => c.close));
      const ratio = std(r.slice(shiftAt)) / std(r.slice(0, shiftAt - 1));
      const r0 = logReturns(unshifted[i]!.map((c) => c.close));
      const ratio0 = std(r0.slice(shiftAt)) / std(r0.slice(0, shiftAt - 1));
      // Same random draws, sigma x3 after the shift: the ratio moves by ~3 against the unshifted path.
      expect(ratio / ratio0).toBeGreaterThan(2.5);
      expect(ratio / ratio0).toBeLessThan(3.5);
      // Before the shift both paths are the same.
      expect(series[i]!.slice(0, shiftAt)).toEqual(unshifted[i]!.slice(0, shiftAt));
    }
  });
});

describe('SyntheticSource', () => {
  it('delivers one tick per step with every symbol, then ends', async () => {
    const p = params({ symbols: 3, candles: 100 });
    const src = new SyntheticSource(p, { log: pino({ level: 'silent' }) });
    expect(src.symbols).toEqual(['SYN0/USD', 'SYN1/USD', 'SYN2/USD']);
    const batches: CandleBatch[] = [];
    await src.start((b) => {
      batches.push(b);
    });
    await src.finished;
    expect(src.status).toBe('ended');
    expect(batches).toHaveLength(100);
    const series = syntheticSeries(p);
    batches.forEach((b, k) => {
      expect(b.candles).toEqual(series.map((s) => s[k]));
      expect(b.closeTime).toBe(p.start + (k + 1) * 300_000);
    });
  });
});
