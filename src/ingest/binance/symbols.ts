/**
 * Binance names: `LTC/BTC` trades as `LTCBTC`, its 5m kline stream is `ltcbtc@kline_5m`
 * (live/symbols.ts maps them back).
 */
import type { Timeframe } from '../../domain/timeframe.ts';

export function exchangeSymbol(symbol: string): string {
  return symbol.replace('/', '').toUpperCase();
}

export function klineStream(symbol: string, timeframe: Timeframe): string {
  return `${exchangeSymbol(symbol).toLowerCase()}@kline_${timeframe}`;
}
