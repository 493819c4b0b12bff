/**
 * The port a REST-polled venue implements (OANDA's candles endpoint, any ccxt exchange's
 * fetchOHLCV): one page of candles of one series from an open time on. Everything a live feed owes
 * its consumer (closed candles only, validation, dedupe, gap backfill before the next candle, ticks
 * across symbols, retries with backoff) is done once, in polled-source.ts, over this port.
 */
import type { Candle } from '../../domain/candle.ts';
import type { Timeframe } from '../../domain/timeframe.ts';

/** A candle as the venue reports it, before validation; `complete` false means still forming. */
export type VenueCandle = Omit<Candle, 'symbol' | 'timeframe'> & { complete?: boolean };

export interface CandleVenue {
  /** For logs and metrics: `oanda`, `ccxt:kraken`. */
  readonly name: string;
  /** Most candles one request returns (OANDA 5,000; each ccxt exchange its own). */
  readonly pageLimit: number;
  /** Candles of the series with openTime >= from, oldest first, at most `limit`. */
  fetchCandles(symbol: string, timeframe: Timeframe, from: number, limit: number, signal: AbortSignal): Promise<VenueCandle[]>;
  /**
   * True when the venue is known to have no candles in [from, to] because its market was shut
   * (forex weekends): such a hole is not a gap, not an outage and not something to backfill.
   */
  closedThroughout?(from: number, to: number, timeframe: Timeframe): boolean;
}

/** A failure the venue classified: retryable ones are retried with backoff (429: after retryAfterMs). */
export interface VenueFailure {
  retryable: boolean;
  retryAfterMs?: number;
}
