import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BarrierInputError,
  barrierLevels,
  holdWasCorrect,
  openTrade,
  stepTrade,
  tripleBarrierLabels,
  walkTrade,
  type BarrierParams,
  type BarrierResult,
  type OpenTrade,
  type PriceArrays,
} from '../../src/domain/barrier.ts';

// Hand-computed cases: entry 100, ATR 2, tp 2.0 × ATR, sl 1.5 × ATR (DESIGN.md "Barriers" defaults)
// → BUY take profit 104, stop 97; SELL take profit 96, stop 103.
const P: BarrierParams = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 3, feePct: 0.1 };

/** The signal candle (close 100) followed by later candles given as [high, low, close]. */
function series(...later: Array<[number, number, number]>): PriceArrays {
  const rows: Array<[number, number, number]> = [[100, 100, 100], ...later];
  return { high: rows.map((r) => r[0]), low: rows.map((r) => r[1]), close: rows.map((r) => r[2]) };
}

describe('barrier levels', () => {
  it('puts BUY take profit above and stop below, SELL mirrored', () => {
    expect(barrierLevels('BUY', 100, 2, P)).toEqual({ takeProfit: 104, stopLoss: 97 });
    expect(barrierLevels('SELL', 100, 2, P)).toEqual({ takeProfit: 96, stopLoss: 103 });
  });

  it('refuses a non-positive ATR or entry with a typed error', () => {
    expect(() => barrierLevels('BUY', 100, 0, P)).toThrow(BarrierInputError);
    expect(() => barrierLevels('BUY', Number.NaN, 1, P)).toThrow(BarrierInputError);
    expect(() => openTrade('BUY', 100, 1, { ...P, horizon: 0 })).toThrow(BarrierInputError);
  });
});

describe('walkTrade (hand-computed)', () => {
  it('TP_HIT: exits at the take profit, P/L net of two fees', () => {
    const r = walkTrade('BUY', series([101, 99, 100], [104.5, 100, 104]), 0, 2, P)!;
    // exit 104: 100 × (104/100 − 1) − 2 × 0.1 = 3.8; excursions: +4 % (clipped at 104), −1 % (low 99)
    expect(r.outcome).toBe('TP_HIT');
    expect(r.exitPrice).toBe(104);
    expect(r.exitIndex).toBe(2);
    expect(r.barsHeld).toBe(2);
    expect(r.pnlPct).toBeCloseTo(3.8, 12);
    expect(r.maxProfitPct).toBeCloseTo(4, 12);
    expect(r.maxLossPct).toBeCloseTo(-1, 12);
  });

  it('SL_HIT: exits at the stop', () => {
    const r = walkTrade('BUY', series([101, 96.5, 98]), 0, 2, P)!;
    // exit 97: −3 − 0.2 = −3.2; adverse move clipped at the stop (97 → −3 %), favourable 101 → +1 %
    expect(r).toMatchObject({ outcome: 'SL_HIT', exitPrice: 97, exitIndex: 1, barsHeld: 1 });
    expect(r.pnlPct).toBeCloseTo(-3.2, 12);
    expect(r.maxLossPct).toBeCloseTo(-3, 12);
    expect(r.maxProfitPct).toBeCloseTo(1, 12);
  });

  it('checks the stop first when one candle touches both barriers', () => {
    const r = walkTrade('BUY', series([105, 96, 104]), 0, 2, P)!;
    expect(r.outcome).toBe('SL_HIT');
    expect(r.exitPrice).toBe(97);
    const s = walkTrade('SELL', series([105, 95, 96]), 0, 2, P)!;
    expect(s.outcome).toBe('SL_HIT');
    expect(s.exitPrice).toBe(103);
  });

  it('EXPIRED at the close of the horizon-th candle', () => {
    const r = walkTrade('BUY', series([101, 99, 100.5], [101.5, 100, 101], [103, 101, 102.5], [110, 90, 100]), 0, 2, P)!;
    // horizon 3: exits at candle 3's close 102.5 → 2.5 − 0.2 = 2.3; candle 4 (touches both) is never seen
    expect(r).toMatchObject({ outcome: 'EXPIRED', exitPrice: 102.5, exitIndex: 3, barsHeld: 3 });
    expect(r.pnlPct).toBeCloseTo(2.3, 12);
  });

  it('SELL mirrors BUY: take profit below, P/L from the fall', () => {
    const r = walkTrade('SELL', series([101, 95.5, 96]), 0, 2, P)!;
    // exit 96: 100 × (1 − 96/100) − 0.2 = 3.8
    expect(r).toMatchObject({ outcome: 'TP_HIT', exitPrice: 96 });
    expect(r.pnlPct).toBeCloseTo(3.8, 12);
    const e = walkTrade('SELL', series([100.5, 99.5, 99], [100.5, 99, 99.5], [101, 98, 101]), 0, 2, P)!;
    // expiry at 101: 100 × (1 − 1.01) − 0.2 = −1.2
    expect(e.outcome).toBe('EXPIRED');
    expect(e.pnlPct).toBeCloseTo(-1.2, 12);
  });

  it('charges the fee on both sides', () => {
    const s = series([104.5, 100, 104]);
    expect(walkTrade('BUY', s, 0, 2, { ...P, feePct: 0 })!.pnlPct).toBeCloseTo(4, 12);
    expect(walkTrade('BUY', s, 0, 2, { ...P, feePct: 0.25 })!.pnlPct).toBeCloseTo(3.5, 12);
  });

  it('returns null while the trade is unresolved and later candles are missing', () => {
    expect(walkTrade('BUY', series([101, 99, 100]), 0, 2, P)).toBeNull();
  });
});

describe('triple-barrier labels', () => {
  // index:      0      1           2           3            4           5
  const s: PriceArrays = {
    high: [100, 101, 104.5, 103, 102, 101],
    low: [100, 99, 100, 99, 99, 95],
    close: [100, 100, 104, 100, 100, 96],
  };
  const atr = [2, 2, 2, 2, null, 2];

  it('labels BUY when the long take profit comes first, SELL when the short one does, HOLD otherwise', () => {
    const labels = tripleBarrierLabels(s, atr, { ...P, horizon: 2 });
    // candle 0: candle 2 reaches 104.5 >= 104 before the short take profit 96 → BUY.
    expect(labels[0]!.label).toBe('BUY');
    // candle 1 (close 100): same candle 2 → BUY.
    expect(labels[1]!.label).toBe('BUY');
    // candle 2 (close 104, ATR 2: long tp 108 / sl 101; short tp 100 / sl 107): candle 3 low 99 <= 100
    // → short take profit; the long stop 101 is touched too, which does not make it a long TP → SELL.
    expect(labels[2]!.label).toBe('SELL');
    // candle 3 (close 100): candles 4 and 5 → candle 5 low 95 <= 96 → SELL
    expect(labels[3]!.label).toBe('SELL');
    // candle 4: ATR not warm; candle 5: within the last horizon candles.
    expect(labels[4]).toBeNull();
    expect(labels[5]).toBeNull();
  });

  it('labels HOLD when neither take profit is reached within the horizon', () => {
    const flat = series([101, 99, 100], [101, 99, 100], [101, 99, 100]);
    const [first] = tripleBarrierLabels(flat, [2, 2, 2, 2], P);
    expect(first!.label).toBe('HOLD');
    expect(first!.long.outcome).toBe('EXPIRED');
    expect(holdWasCorrect(flat, 0, 2, P)).toBe(true);
    // A stop hit alone (long stop 97) is still a HOLD label: no take profit came first.
    const dip = series([101, 96.9, 98], [101, 99, 100], [101, 99, 100]);
    expect(tripleBarrierLabels(dip, [2, 2, 2, 2], P)[0]!.label).toBe('HOLD');
    expect(holdWasCorrect(series([104.5, 100, 104], [101, 99, 100], [101, 99, 100]), 0, 2, P)).toBe(false);
    expect(holdWasCorrect(series([101, 99, 100]), 0, 2, P)).toBeNull();
  });

  it('refuses misaligned arrays', () => {
    expect(() => tripleBarrierLabels(s, [2, 2], P)).toThrow(BarrierInputError);
  });
});

/** An independent reference: the first later candle touching a barrier, stop first. */
function reference(dir: 'BUY' | 'SELL', s: PriceArrays, i0: number, atr: number, p: BarrierParams): BarrierResult['outcome'] | null {
  const { takeProfit, stopLoss } = barrierLevels(dir, s.close[i0]!, atr, p);
  for (let k = 1; k <= p.horizon; k++) {
    const i = i0 + k;
    if (i >= s.close.length) return null;
    const h = s.high[i]!;
    const l = s.low[i]!;
    if (dir === 'BUY' ? l <= stopLoss : h >= stopLoss) return 'SL_HIT';
    if (dir === 'BUY' ? h >= takeProfit : l <= takeProfit) return 'TP_HIT';
  }
  return 'EXPIRED';
}

const candleSeries = fc
  .array(fc.tuple(fc.double({ min: -0.03, max: 0.03, noNaN: true }), fc.double({ min: 0, max: 0.02, noNaN: true }), fc.double({ min: 0, max: 0.02, noNaN: true })), {
    minLength: 2,
    maxLength: 60,
  })
  .map((steps) => {
    const high: number[] = [];
    const low: number[] = [];
    const close: number[] = [];
    let c = 100;
    for (const [ret, up, down] of steps) {
      const open = c;
      c = c * (1 + ret);
      high.push(Math.max(open, c) * (1 + up));
      low.push(Math.min(open, c) * (1 - down));
      close.push(c);
    }
    return { high, low, close };
  });

describe('incremental == batch', () => {
  it('feeding candles one at a time (with the open trade persisted between candles) gives the batch result', () => {
    fc.assert(
      fc.property(
        candleSeries,
        fc.constantFrom<'BUY' | 'SELL'>('BUY', 'SELL'),
        fc.double({ min: 0.05, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 30 }),
        fc.constantFrom(0, 0.1, 0.5),
        (s, dir, atr, horizon, feePct) => {
          const p = { tpAtrMult: 2, slAtrMult: 1.5, horizon, feePct };
          const batch = walkTrade(dir, s, 0, atr, p);
          // Live path: the tracker stores the open trade (JSON, as across a restart) and steps it.
          let trade: OpenTrade = openTrade(dir, s.close[0]!, atr, p);
          let live: BarrierResult | null = null;
          for (let i = 1; i < s.close.length && live === null; i++) {
            trade = JSON.parse(JSON.stringify(trade)) as OpenTrade;
            live = stepTrade(trade, s.high[i]!, s.low[i]!, s.close[i]!, i);
          }
          expect(live).toEqual(batch);
          expect(batch?.outcome ?? null).toBe(reference(dir, s, 0, atr, p));
        },
      ),
      { numRuns: 300 },
    );
  });
});
