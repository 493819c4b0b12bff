import type { Timeframe } from './timeframe.ts';

/**
 * One closed candle, validated at the edge (see ingest/validate.ts). Times are epoch milliseconds,
 * `openTime` aligned to the timeframe. Prices are finite and positive, low <= min(open, close),
 * max(open, close) <= high, volume >= 0.
 */
export interface Candle {
  symbol: string; // 'LTC/BTC'
  timeframe: Timeframe;
  openTime: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}
