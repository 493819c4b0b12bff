/**
 * From a venue's kline (stream frame or REST row) to a validated Candle: symbol mapping, interval and
 * close-time consistency, then the candle rules of validate.ts against the feed's clock.
 */
import type { Clock } from '../../domain/clock.ts';
import { timeframeMs, type Timeframe } from '../../domain/timeframe.ts';
import { checkRules, type CandleCheck } from '../validate.ts';
import type { SymbolMap } from './symbols.ts';
import type { WireKline } from './venue.ts';

export class KlineValidator {
  private readonly tf: number;

  constructor(
    private readonly map: SymbolMap,
    private readonly timeframe: Timeframe,
    private readonly clock: Clock,
    private readonly futureToleranceMs: number,
  ) {
    this.tf = timeframeMs(timeframe);
  }

  toCandle(k: WireKline): CandleCheck {
    const symbol = this.map.fromExchange(k.exchangeSymbol);
    const reject = (reason: 'unknown_symbol' | 'wrong_timeframe' | 'bad_shape', message: string): CandleCheck => ({ ok: false, reason, message, symbol, values: k });
    if (!symbol) return reject('unknown_symbol', `exchange symbol ${k.exchangeSymbol.slice(0, 40)} is not subscribed`);
    if (k.interval !== this.timeframe) return reject('wrong_timeframe', `interval ${k.interval.slice(0, 8)}, expected ${this.timeframe}`);
    if (k.closeTime !== k.openTime + this.tf - 1) return reject('bad_shape', `close time ${k.closeTime} does not match open time ${k.openTime} + ${this.timeframe}`);
    const raw = { symbol, timeframe: this.timeframe, openTime: k.openTime, open: k.open, high: k.high, low: k.low, close: k.close, volume: k.volume };
    return checkRules(raw, { now: this.clock.now(), futureToleranceMs: this.futureToleranceMs });
  }
}
