/**
 * OANDA's names for what signalbase calls symbols and timeframes (OANDA v20 "Instrument" and
 * "CandlestickGranularity" definitions): instrument `EUR_USD` is symbol `EUR/USD`; granularities
 * M1, M5, M15, M30, H1, H4 and D are the timeframes 1m, 5m, 15m, 30m, 1h, 4h and 1d.
 */
import { ConfigError } from '../../errors.ts';
import type { Timeframe } from '../../domain/timeframe.ts';

export type OandaEnvironment = 'practice' | 'live';

/** v20 REST and streaming hosts per environment (OANDA v20 "Development Guide: Endpoints"). */
export const OANDA_HOSTS: Record<OandaEnvironment, { rest: string; stream: string }> = {
  practice: { rest: 'https://api-fxpractice.oanda.com', stream: 'https://stream-fxpractice.oanda.com' },
  live: { rest: 'https://api-fxtrade.oanda.com', stream: 'https://stream-fxtrade.oanda.com' },
};

const GRANULARITY: Partial<Record<Timeframe, string>> = {
  '1m': 'M1',
  '5m': 'M5',
  '15m': 'M15',
  '30m': 'M30',
  '1h': 'H1',
  '4h': 'H4',
  '1d': 'D',
};

export const OANDA_TIMEFRAMES = Object.keys(GRANULARITY) as Timeframe[];

export function granularityOf(tf: Timeframe): string {
  const g = GRANULARITY[tf];
  if (!g) throw new ConfigError(`OANDA has no ${tf} candles; use one of ${OANDA_TIMEFRAMES.join(', ')}`, { timeframe: tf });
  return g;
}

const INSTRUMENT = /^[A-Z0-9]{2,10}_[A-Z0-9]{2,10}$/;

export function instrumentOf(symbol: string): string {
  const instrument = symbol.replace('/', '_');
  if (!INSTRUMENT.test(instrument)) throw new ConfigError(`'${symbol}' is not an OANDA instrument; write it as EUR/USD (OANDA's EUR_USD)`, { symbol });
  return instrument;
}

export function symbolOf(instrument: string): string {
  return instrument.replace('_', '/');
}
