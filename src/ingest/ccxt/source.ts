/**
 * The `ccxt:EXCHANGE` feed (DESIGN.md "Feeds"): closed candles of any exchange the `ccxt` package
 * speaks. Where the exchange has a websocket API (ccxt.pro), candles stream through
 * `watchOHLCVForSymbols` (or `watchOHLCV` per symbol) on the live base (stream.ts, ingest/live/);
 * where it has none, its fetchOHLCV is polled at each candle close (ingest/polled). Both warm up and
 * backfill every gap from fetchOHLCV with the exchange's own page limit and ccxt's rate limiter on
 * (`enableRateLimit`). Symbols and the timeframe are checked against loadMarkets() and the
 * exchange's timeframes at start, with an error naming what the exchange offers (exchange.ts).
 */
import type { Clock } from '../../domain/clock.ts';
import { systemClock } from '../../domain/clock.ts';
import { DEFAULT_BACKOFF, type StepBackoff } from '../../domain/timing.ts';
import { ConfigError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { LiveSource, type LiveOptions } from '../live/source.ts';
import { PolledSource } from '../polled/polled-source.ts';
import type { CandleVenue } from '../polled/venue.ts';
import type { CandleSource } from '../source.ts';
import { checkOffer, fetchCandleRows, openExchange, pageLimitOf, streamingMode, type ExchangeOptions } from './exchange.ts';
import { CcxtStreamVenue } from './stream.ts';

export { CcxtError } from './exchange.ts';

export interface CcxtSourceOptions extends ExchangeOptions {
  clock?: Clock;
  log: Logger;
  resume?: ReadonlyMap<string, number>;
  warmupCandles?: number;
  /** REST polling only: how long after a candle's close to ask for it. Default 2 s. */
  settleMs?: number;
  /** Websocket only: when to resync what the stream did not close, after each close. Default 12 s. */
  sweepDelayMs?: number;
  backoff?: StepBackoff;
  /** Websocket only: the live base's options (heartbeat, linger, queue...). */
  live?: Partial<Omit<LiveOptions, 'symbols' | 'timeframe' | 'log' | 'clock' | 'resume' | 'warmupCandles' | 'backoff'>>;
}

export async function createCcxtSource(o: CcxtSourceOptions): Promise<CandleSource> {
  if (o.symbols.length === 0) throw new ConfigError(`the ccxt:${o.exchange} feed needs symbols: set SYMBOLS or pass --symbols BTC/USDT,ETH/USDT`);
  const { ex, ccxt } = await openExchange(o);
  await checkOffer(ex, ccxt, o);
  const pageLimit = pageLimitOf(ex);
  const mode = streamingMode(ex, o);
  const clock = o.clock ?? systemClock;
  let source: CandleSource;
  if (mode === 'rest') {
    const venue: CandleVenue = {
      name: `ccxt:${ex.id}`,
      pageLimit,
      fetchCandles: (symbol, tf, from, n) => fetchCandleRows(ex, ccxt, symbol, tf, from, n),
    };
    source = new PolledSource({ kind: 'ccxt', venue, symbols: o.symbols, timeframe: o.timeframe, clock, log: o.log, resume: o.resume, warmupCandles: o.warmupCandles, settleMs: o.settleMs, backoff: o.backoff });
  } else {
    const backoff = o.backoff ?? DEFAULT_BACKOFF;
    const venue = new CcxtStreamVenue({ ex, ccxt, mode, pageLimit, clock, sweepDelayMs: o.sweepDelayMs, restBackoff: backoff });
    source = new LiveSource(venue, { ...o.live, symbols: o.symbols, timeframe: o.timeframe, clock, log: o.log, resume: o.resume, warmupCandles: o.warmupCandles, backoff });
  }
  o.log.info({ exchange: ex.id, mode, symbols: o.symbols.length }, mode === 'rest' ? `ccxt:${ex.id} has no websocket candles: polling fetchOHLCV at each close` : `ccxt:${ex.id}: candles over its websocket (${mode === 'batch' ? 'watchOHLCVForSymbols' : 'watchOHLCV per symbol'})`);
  void source.finished.finally(() => ex.close?.().catch(() => undefined));
  return source;
}

/**
 * `doctor`'s one line for a ccxt feed: markets loaded, symbols listed, timeframe offered, and where
 * the exchange streams, one candle update received over its websocket.
 */
export async function checkCcxt(o: ExchangeOptions & { log: Logger }): Promise<string> {
  const { ex, ccxt } = await openExchange(o);
  try {
    await checkOffer(ex, ccxt, o);
    const mode = streamingMode(ex);
    let how = 'REST polling (no websocket candles)';
    if (mode !== 'rest') {
      const first = o.symbols[0]!;
      const timeoutMs = o.requestTimeoutMs ?? 10_000;
      const watch = mode === 'batch' ? ex.watchOHLCVForSymbols!([[first, o.timeframe]]) : ex.watchOHLCV!(first, o.timeframe);
      let timer: NodeJS.Timeout | undefined;
      const quiet = new Promise<'quiet'>((resolve) => (timer = setTimeout(() => resolve('quiet'), timeoutMs)));
      const got = await Promise.race([watch, quiet]).finally(() => clearTimeout(timer));
      const method = mode === 'batch' ? 'watchOHLCVForSymbols' : 'watchOHLCV';
      if (got !== 'quiet') how = `websocket streaming (${method})`;
      else if (Object.values(ex.clients ?? {}).some((c) => c.isOpen?.())) how = `websocket open (${method}), no ${first} update within ${timeoutMs} ms (a quiet market?)`;
      else throw new Error(`websocket did not open within ${timeoutMs} ms`);
    }
    return `ccxt:${ex.id} reachable, ${o.symbols.length} symbol(s) listed, ${o.timeframe} offered, ${how}`;
  } finally {
    await ex.close?.().catch(() => undefined);
  }
}
