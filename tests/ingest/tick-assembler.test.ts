/** Tick grouping of live candles (binance/tick-assembler.ts) on a hand-driven clock. */
import { describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { TickAssembler } from '../../src/ingest/live/tick-assembler.ts';

const T0 = Date.UTC(2018, 0, 10, 5, 0);
const TF = 300_000;
const c = (symbol: string, k: number): Candle => ({ symbol, timeframe: '5m', openTime: T0 + k * TF, open: 1, high: 1, low: 1, close: 1, volume: 1 });
const shape = (batches: { closeTime: number; candles: readonly Candle[] }[]) => batches.map((b) => [(b.closeTime - T0) / TF, b.candles.map((x) => x.symbol).join()]);

describe('TickAssembler', () => {
  it('emits a tick as soon as every symbol reported, ordered by symbol', () => {
    const a = new TickAssembler(3, 250, () => 0);
    expect(a.add(c('XLM/BTC', 0))).toEqual([]);
    expect(a.add(c('DASH/BTC', 0))).toEqual([]);
    expect(shape(a.add(c('LTC/BTC', 0)))).toEqual([[1, 'DASH/BTC,LTC/BTC,XLM/BTC']]);
    expect(a.msUntilDue()).toBeUndefined();
  });

  it('emits a partial tick when its linger (plus any grace) ends; the straggler gets its own batch', () => {
    let now = 0;
    const a = new TickAssembler(2, 250, () => now);
    a.add(c('LTC/BTC', 0));
    now = 100;
    expect(a.msUntilDue()).toBe(150);
    expect(a.takeDue()).toEqual([]);
    a.add(c('LTC/BTC', 1));
    now = 250;
    expect(shape(a.takeDue())).toEqual([[1, 'LTC/BTC']]);
    now = 350;
    expect(a.takeDue(100)).toEqual([]);
    expect(shape(a.takeDue())).toEqual([[2, 'LTC/BTC']]);
    expect(a.add(c('XLM/BTC', 1))).toEqual([]);
    expect(shape(a.takeAll())).toEqual([[2, 'XLM/BTC']]);
  });

  it('flushes earlier pending ticks before a later complete one, keeping time order', () => {
    const a = new TickAssembler(2, 250, () => 0);
    a.add(c('LTC/BTC', 0));
    a.add(c('LTC/BTC', 1));
    expect(shape(a.add(c('XLM/BTC', 1)))).toEqual([
      [1, 'LTC/BTC'],
      [2, 'LTC/BTC,XLM/BTC'],
    ]);
  });

  it('hands out the ticks holding a candle of given symbols, and every earlier one, before a backfill', () => {
    const a = new TickAssembler(3, 250, () => 0);
    a.add(c('LTC/BTC', 0));
    a.add(c('XLM/BTC', 1));
    a.add(c('DASH/BTC', 2));
    expect(shape(a.takeHolding(new Set(['XLM/BTC'])))).toEqual([
      [1, 'LTC/BTC'],
      [2, 'XLM/BTC'],
    ]);
    expect(a.takeHolding(new Set(['ZEC/BTC']))).toEqual([]);
    expect(shape(a.takeAll())).toEqual([[3, 'DASH/BTC']]);
  });
});
