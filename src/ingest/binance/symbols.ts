/**
 * Binance names: `LTC/BTC` trades as `LTCBTC`, its 5m kline stream is `ltcbtc@kline_5m`. The map is
 * built from the configured symbol list, so an exchange symbol we did not subscribe to maps to nothing.
 */
import type { Timeframe } from '../../domain/timeframe.ts';
import { ConfigError } from '../../errors.ts';

export function exchangeSymbol(symbol: string): string {
  return symbol.replace('/', '').toUpperCase();
}

export function klineStream(symbol: string, timeframe: Timeframe): string {
  return `${exchangeSymbol(symbol).toLowerCase()}@kline_${timeframe}`;
}

export class SymbolMap {
  private readonly byExchange = new Map<string, string>();

  constructor(readonly symbols: readonly string[]) {
    for (const s of symbols) {
      const ex = exchangeSymbol(s);
      const other = this.byExchange.get(ex);
      if (other && other !== s) throw new ConfigError(`symbols ${other} and ${s} are both ${ex} on Binance; list one of them`);
      this.byExchange.set(ex, s);
    }
  }

  /** `LTCBTC` → `LTC/BTC`, or undefined when not subscribed. */
  fromExchange(ex: string): string | undefined {
    return this.byExchange.get(ex.toUpperCase());
  }
}
