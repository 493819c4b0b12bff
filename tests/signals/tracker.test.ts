import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdWasCorrect, walkTrade, type BarrierParams, type PriceArrays } from '../../src/domain/barrier.ts';
import type { Candle } from '../../src/domain/candle.ts';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../src/domain/indicators.ts';
import type { Direction, PredictionRecord } from '../../src/domain/prediction.ts';
import { consensus } from '../../src/features/consensus.ts';
import { SymbolFeatureState } from '../../src/features/symbol-state.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { trackerRejected } from '../../src/signals/metrics.ts';
import { decideSignal, rulesProbabilities } from '../../src/signals/policy.ts';
import { predictionId } from '../../src/signals/prediction-id.ts';
import { OutcomeTracker, type ResolvedSignal } from '../../src/signals/tracker.ts';
import { openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/store.ts';
import { loadBars } from '../features/candles.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';

const log = silentLogger();
const T0 = Date.UTC(2018, 0, 20, 10, 0);
const STEP = 300_000; // 5m

function values(atr: number | null): IndicatorValues {
  const v = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, 1])) as IndicatorValues;
  v.atr_value = atr;
  return v;
}

/**
 * A signal on the candle at T0 with entry 100 and ATR 2: with tp 2 × ATR and sl 1.5 × ATR
 * (DESIGN.md defaults) BUY has take profit 104, stop 97; SELL take profit 96, stop 103
 * (the hand-computed levels of tests/signals/barrier.test.ts).
 */
function signal(direction: Direction, over: Partial<PredictionRecord> = {}): PredictionRecord {
  const levels = direction === 'BUY' ? { stopLoss: 97, takeProfit: 104 } : direction === 'SELL' ? { stopLoss: 103, takeProfit: 96 } : { stopLoss: null, takeProfit: null };
  return {
    id: predictionId('TEST/BTC', '5m', T0, `hand-${direction}`),
    symbol: 'TEST/BTC',
    timeframe: '5m',
    candleTime: T0,
    modelVersion: `hand-${direction}`,
    predictionType: 'SIGNAL',
    predictedDirection: direction,
    confidenceScore: 0.7,
    probabilities: { BUY: 0.1, SELL: 0.1, HOLD: 0.1, [direction]: 0.8 },
    recommendation: direction,
    signalWeight: 0.5,
    positionMultiplier: direction === 'HOLD' ? 0 : 1,
    entryPrice: 100,
    ...levels,
    riskScore: 0.4,
    technicalIndicators: values(2),
    inputFeatures: {},
    marketConditions: { session: 'europe', trend: 'up', volatility: 'normal' },
    riskAssessment: { barrier: { tp_atr_mult: 2, sl_atr_mult: 1.5, horizon: 3, fee_pct: 0.1 } },
    processingTimeMs: 1,
    createdAt: T0 + STEP,
    ...over,
  };
}

/** Later candles given as [high, low, close], one timeframe apart after T0. */
function path(...rows: Array<[number, number, number]>): Candle[] {
  return rows.map(([high, low, close], i) => ({ symbol: 'TEST/BTC', timeframe: '5m', openTime: T0 + (i + 1) * STEP, open: close, high, low, close, volume: 1 }));
}

function run(t: OutcomeTracker, candles: Candle[]): ResolvedSignal[] {
  return candles.flatMap((c) => t.onCandle(c));
}

const P3: BarrierParams = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 3, feePct: 0.1 };

describe('outcome tracker on hand-built paths (entry 100, ATR 2, horizon 3)', () => {
  it('TP first: resolves TP_HIT at 104 with outcome, sample and message agreeing', () => {
    const t = new OutcomeTracker({ barrier: P3, log });
    const p = signal('BUY');
    expect(t.track(p)).toBe(true);
    const [r, ...rest] = run(t, path([101, 99, 100], [104.5, 100, 104], [110, 90, 100]));
    expect(rest).toEqual([]);
    // exit 104: 100 × (104/100 − 1) − 2 × 0.1 = 3.8; excursions +4 % and −1 %; 2 bars = 10 minutes
    expect(r!.outcome).toMatchObject({ predictionId: p.id, outcome: 'TP_HIT', exitPrice: 104, outcomeTime: T0 + 3 * STEP });
    expect(r!.outcome.profitLossPct).toBeCloseTo(3.8, 12);
    expect(r!.sample).toMatchObject({ signalType: 'BUY', status: 'TP_HIT', actualResult: 'TP_HIT', tradeDurationMinutes: 10, exitPrice: 104 });
    expect(r!.sample.maxProfit).toBeCloseTo(4, 12);
    expect(r!.sample.maxLoss).toBeCloseTo(-1, 12);
    // risk 3, reward 4: rr 4/3; R = 3.8 / 3 ; score (R + 1) / (rr + 1) = (6.8/3) / (7/3) = 6.8 / 7
    expect(r!.sample.riskRewardRatio).toBeCloseTo(4 / 3, 12);
    expect(r!.sample.performanceScore).toBeCloseTo(6.8 / 7, 12);
    expect(r!.sample).toMatchObject({ modelVersionUsed: 'hand-BUY', predictionConfidence: 0.7, marketSession: 'europe', trendDirection: 'up', volatilityRegime: 'normal' });
    expect(r!.sample.indicators.atr_value).toBe(2);
    expect(r!.message).toMatchObject({ prediction_id: p.id, outcome: 'TP_HIT', correct: true, bars_held: 2, duration_minutes: 10 });
    expect(t.openCount).toBe(0);
  });

  it('SL first, and a candle touching both barriers resolves at the stop', () => {
    const t = new OutcomeTracker({ barrier: P3, log });
    t.track(signal('BUY'));
    const [r] = run(t, path([101, 96.5, 98]));
    expect(r!.outcome).toMatchObject({ outcome: 'SL_HIT', exitPrice: 97 });
    expect(r!.outcome.profitLossPct).toBeCloseTo(-3.2, 12);
    expect(r!.message.correct).toBe(false);

    const both = new OutcomeTracker({ barrier: P3, log });
    both.track(signal('SELL'));
    // SELL: tp 96, stop 103; one candle spans 95..104 → stop wins: 100 × (1 − 103/100) − 0.2 = −3.2
    const [s] = run(both, path([104, 95, 100]));
    expect(s!.outcome).toMatchObject({ outcome: 'SL_HIT', exitPrice: 103 });
    expect(s!.outcome.profitLossPct).toBeCloseTo(-3.2, 12);
  });

  it('expires at the close of the horizon-th candle', () => {
    const t = new OutcomeTracker({ barrier: P3, log });
    t.track(signal('SELL'));
    expect(run(t, path([101, 99, 100], [101, 99, 99]))).toEqual([]);
    const [r] = run(t, path([101, 99, 100], [101, 99, 99], [101, 98, 98.5]).slice(2));
    // SELL exit 98.5: 100 × (1 − 0.985) − 0.2 = 1.3
    expect(r!.outcome).toMatchObject({ outcome: 'EXPIRED', exitPrice: 98.5 });
    expect(r!.outcome.profitLossPct).toBeCloseTo(1.3, 12);
    expect(r!.sample.tradeDurationMinutes).toBe(15);
  });

  it('HOLD is NO_TRADE: correct when no take profit came first, incorrect otherwise', () => {
    const quiet = new OutcomeTracker({ barrier: P3, log });
    quiet.track(signal('HOLD'));
    const [ok] = run(quiet, path([101, 99, 100], [102, 99, 101], [101, 98, 100.5]));
    // both sides expire at the horizon → label HOLD; no position: P/L 0, exit = last close
    expect(ok!.outcome).toMatchObject({ outcome: 'NO_TRADE', exitPrice: 100.5, profitLossPct: 0 });
    expect(ok!.sample).toMatchObject({ signalType: 'HOLD', status: 'NO_TRADE', performanceScore: 1, stopLoss: null, takeProfit: null, riskRewardRatio: null });
    expect(ok!.sample.maxProfit).toBeCloseTo(2, 12); // highest high 102
    expect(ok!.sample.maxLoss).toBeCloseTo(-2, 12); // lowest low 98
    expect(ok!.message.correct).toBe(true);

    const rally = new OutcomeTracker({ barrier: P3, log });
    rally.track(signal('HOLD'));
    // high 105 reaches the long take profit 104 and the short stop 103 on the same candle → label BUY
    const [bad] = run(rally, path([105, 100, 104.5]));
    expect(bad!.outcome.outcome).toBe('NO_TRADE');
    expect(bad!.sample.performanceScore).toBe(0);
    expect(bad!.message.correct).toBe(false);
    expect(bad!.sample.tradeDurationMinutes).toBe(5);
  });

  it('a HOLD without ATR resolves at the horizon, correctness unknown', () => {
    const t = new OutcomeTracker({ barrier: P3, log });
    t.track(signal('HOLD', { technicalIndicators: values(null) }));
    const rs = run(t, path([200, 50, 100], [101, 99, 100], [101, 99, 100]));
    expect(rs).toHaveLength(1);
    expect(rs[0]!.sample.performanceScore).toBeNull();
    expect(rs[0]!.message.correct).toBeNull();
  });

  it('ignores candles not newer than the last one each signal used (older, equal, duplicates)', () => {
    const t = new OutcomeTracker({ barrier: P3, log });
    t.track(signal('BUY'));
    const at = (openTime: number, high: number, low: number): Candle => ({ symbol: 'TEST/BTC', timeframe: '5m', openTime, open: 100, high, low, close: 100, volume: 1 });
    expect(t.onCandle(at(T0, 200, 1))).toEqual([]); // the signal's own candle
    expect(t.onCandle(at(T0 - STEP, 200, 1))).toEqual([]); // older
    expect(t.onCandle(at(T0 + STEP, 101, 99))).toEqual([]);
    expect(t.onCandle(at(T0 + STEP, 200, 1))).toEqual([]); // duplicate of the one just used
    expect(t.onCandle({ ...at(T0 + 2 * STEP, 200, 1), symbol: 'OTHER/BTC' })).toEqual([]); // other series
    expect(t.openCount).toBe(1);
    const [r] = t.onCandle(at(T0 + 2 * STEP, 101, 99));
    expect(r).toBeUndefined();
    const [e] = t.onCandle(at(T0 + 3 * STEP, 101, 99));
    expect(e!.outcome.outcome).toBe('EXPIRED'); // third candle used, not five
  });

  it('refuses new signals of a series at its cap, counted', async () => {
    const t = new OutcomeTracker({ barrier: P3, maxOpenPerSeries: 2, log });
    const before = (await trackerRejected.get()).values.find((v) => v.labels.reason === 'cap')?.value ?? 0;
    expect(t.track(signal('BUY'))).toBe(true);
    expect(t.track(signal('SELL'))).toBe(true);
    expect(t.track(signal('HOLD'))).toBe(false);
    expect(t.track(signal('BUY'))).toBe(false); // already tracked
    expect(t.track(signal('BUY', { symbol: 'OTHER/BTC' , id: predictionId('OTHER/BTC', '5m', T0, 'x') }))).toBe(true);
    const after = (await trackerRejected.get()).values.find((v) => v.labels.reason === 'cap')?.value ?? 0;
    expect(after - before).toBe(1);
  });
});

describe('outcome tracker agrees with the barrier walk on random paths', () => {
  const candleArb = fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }), fc.double({ min: 0, max: 3, noNaN: true }));
  it('every signal of a series, tracked live, resolves as walkTrade / holdWasCorrect say', () => {
    fc.assert(
      fc.property(
        fc.array(candleArb, { minLength: 2, maxLength: 40 }),
        fc.array(fc.constantFrom<Direction>('BUY', 'SELL', 'HOLD'), { minLength: 40, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.double({ min: 0.2, max: 3, noNaN: true }),
        (moves, dirs, horizon, atr) => {
          const p: BarrierParams = { tpAtrMult: 2, slAtrMult: 1.5, horizon, feePct: 0.1 };
          let close = 100;
          const candles: Candle[] = moves.map(([move, up, down], i) => {
            const open = close;
            close = Math.max(1, close + move);
            return { symbol: 'R/BTC', timeframe: '5m', openTime: T0 + i * STEP, open, high: Math.max(open, close) + up, low: Math.max(0.5, Math.min(open, close) - down), close, volume: 1 };
          });
          const prices: PriceArrays = { high: candles.map((c) => c.high), low: candles.map((c) => c.low), close: candles.map((c) => c.close) };
          const t = new OutcomeTracker({ barrier: p, log });
          const got = new Map<string, ResolvedSignal>();
          const sigs: PredictionRecord[] = [];
          candles.forEach((c, i) => {
            for (const r of t.onCandle(c)) got.set(r.outcome.predictionId, r);
            const d = dirs[i]!;
            const entry = c.close;
            const levels = d === 'BUY' ? { stopLoss: entry - 1.5 * atr, takeProfit: entry + 2 * atr } : d === 'SELL' ? { stopLoss: entry + 1.5 * atr, takeProfit: entry - 2 * atr } : { stopLoss: null, takeProfit: null };
            const s = signal(d, { id: predictionId('R/BTC', '5m', c.openTime, 'p'), symbol: 'R/BTC', candleTime: c.openTime, entryPrice: entry, ...levels, technicalIndicators: values(atr), riskAssessment: null });
            sigs.push(s);
            t.track(s);
          });
          sigs.forEach((s, i) => {
            const r = got.get(s.id);
            if (s.predictedDirection === 'HOLD') {
              const correct = holdWasCorrect(prices, i, atr, p);
              if (correct === null) return; // fewer than horizon later candles: holdWasCorrect cannot judge
              expect(r, `HOLD at ${i}`).toBeDefined();
              expect(r!.message.correct).toBe(correct);
              return;
            }
            const w = walkTrade(s.predictedDirection, prices, i, atr, p);
            if (w === null) {
              expect(r).toBeUndefined();
              return;
            }
            expect(r, `${s.predictedDirection} at ${i}`).toBeDefined();
            expect(r!.outcome.outcome).toBe(w.outcome);
            expect(r!.outcome.exitPrice).toBeCloseTo(w.exitPrice, 9);
            expect(r!.outcome.profitLossPct).toBeCloseTo(w.pnlPct, 9);
            expect(r!.message.bars_held).toBe(w.barsHeld);
            expect(r!.outcome.outcomeTime).toBe(candles[w.exitIndex]!.openTime + STEP);
            expect(r!.sample.maxProfit).toBeCloseTo(w.maxProfitPct, 9);
            expect(r!.sample.maxLoss).toBeCloseTo(w.maxLossPct, 9);
          });
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('restore after a restart (real embedded store)', () => {
  let dir: string;
  let store: Store;
  const P24: BarrierParams = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sb-tracker-'));
    store = await openStore(testConfig({ SIGNALBASE_DATA_DIR: dir }), log, { migrate: true });
  });
  afterAll(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Real LTC/BTC candles and the rule signals the policy makes on them. */
  function realSignals(n: number): { candles: Candle[]; signals: Map<number, PredictionRecord> } {
    const state = new SymbolFeatureState('LTC/BTC');
    const candles: Candle[] = [];
    const signals = new Map<number, PredictionRecord>();
    loadBars('LTC_BTC-5m.json')
      .slice(0, n)
      .forEach((bar, i) => {
        const candle: Candle = { symbol: 'LTC/BTC', timeframe: '5m', ...bar };
        const v = state.update(bar);
        candles.push(candle);
        if (i < 100) return;
        const c = consensus(v, candle, uniformWeights());
        signals.set(i, decideSignal({ candle, indicators: v, probabilities: rulesProbabilities(c), consensus: c, modelVersion: 'rules', weights: uniformWeights(), barrier: P24, clock: { now: () => candle.openTime + STEP }, processingTimeMs: 0.5 }));
      });
    return { candles, signals };
  }

  it('resolves reloaded signals from stored candles, then continues live, as an uninterrupted run would', async () => {
    const { candles, signals } = realSignals(400);
    const CRASH = 250; // the first tracker saw candles < 250, then the process died
    const STORED = 280; // candles < 280 had reached the store (history, backfill)
    const emitted = (i: number) => (i >= 100 && i < CRASH) || (i >= STORED && i <= 300);

    // Uninterrupted reference.
    const ref = new OutcomeTracker({ barrier: P24, log });
    const expected = new Map<string, ResolvedSignal>();
    candles.forEach((c, i) => {
      for (const r of ref.onCandle(c)) expected.set(r.outcome.predictionId, r);
      if (emitted(i)) ref.track(signals.get(i)!);
    });

    // First life: live tracking with everything persisted.
    const first = new OutcomeTracker({ barrier: P24, log });
    const got = new Map<string, ResolvedSignal>();
    for (let i = 0; i < CRASH; i++) {
      const rs = first.onCandle(candles[i]!);
      await store.resolvePredictions(rs.map((r) => r.outcome));
      for (const r of rs) got.set(r.outcome.predictionId, r);
      if (emitted(i)) {
        await store.insertPredictions([signals.get(i)!]);
        first.track(signals.get(i)!);
      }
    }
    expect(first.openCount).toBeGreaterThan(0);
    await store.upsertCandles(candles.slice(0, STORED));

    // Second life: restore while a live candle arrives mid-restore.
    const second = new OutcomeTracker({ barrier: P24, log });
    const open = await store.openPredictions();
    expect(open.map((p) => p.id).sort()).toEqual([...first['ids']].sort());
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const restoring = second.restore(open, async (symbol, timeframe, from) => {
      await gate;
      return store.readCandles({ symbol, timeframe, from });
    });
    expect(second.onCandle(candles[STORED]!)).toEqual([]); // buffered while restoring
    second.track(signals.get(STORED)!);
    release();
    const restored = await restoring;
    expect(restored.restored).toBe(open.length);
    expect(restored.failed).toEqual([]);
    expect(restored.resolved.length).toBeGreaterThan(0);
    for (const r of restored.resolved) got.set(r.outcome.predictionId, r);
    for (let i = STORED + 1; i < candles.length; i++) {
      for (const r of second.onCandle(candles[i]!)) got.set(r.outcome.predictionId, r);
      if (emitted(i)) second.track(signals.get(i)!);
    }

    expect(got.size).toBe(expected.size);
    for (const [id, r] of expected) {
      const g = got.get(id);
      expect(g, id).toBeDefined();
      expect(g!.outcome).toEqual(r.outcome);
      expect(g!.sample).toEqual(r.sample);
    }
    expect(second.openCount).toBe(ref.openCount);
  });

  it('a series whose candles cannot be read is left for the next restart, reported', async () => {
    const t = new OutcomeTracker({ barrier: P24, log });
    const p = signal('BUY', { riskAssessment: null });
    const res = await t.restore([p], async () => {
      throw new Error('store unreachable');
    });
    expect(res.restored).toBe(1);
    expect(res.failed).toHaveLength(1);
    expect(t.openCount).toBe(0);
  });
});
