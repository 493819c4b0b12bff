/**
 * The `oanda:practice|live` feed (DESIGN.md "Feeds"): complete candles from OANDA v20's candles
 * endpoint, polled at each close (ingest/polled), with the pricing stream's heartbeats telling a
 * dead connection from a quiet market. A hole in the candles while the market was shut (the forex
 * weekend by the centres' hours, or a holiday: heartbeats but no tradeable price) is no gap: it is
 * neither logged as one, nor counted, nor backfilled.
 */
import { systemClock } from '../../domain/clock.ts';
import { marketShutThroughout } from '../../domain/market-session.ts';
import { timeframeMs } from '../../domain/timeframe.ts';
import { ConfigError } from '../../errors.ts';
import { rootLogger } from '../../log.ts';
import { PolledSource, type PolledSourceOptions } from '../polled/polled-source.ts';
import type { CandleVenue } from '../polled/venue.ts';
import { OandaClient, type OandaPrice } from './client.ts';
import { PricingHeartbeat } from './heartbeat.ts';
import { OANDA_HOSTS, granularityOf, instrumentOf, type OandaEnvironment } from './instruments.ts';

/** What the polled source takes (symbols, timeframe, clock, resume, warm-up, settle, backoff) and OANDA's own. */
export interface OandaSourceOptions extends Pick<PolledSourceOptions, 'symbols' | 'timeframe' | 'clock' | 'log' | 'resume' | 'warmupCandles' | 'settleMs' | 'backoff'> {
  environment: OandaEnvironment;
  token: string | undefined;
  accountId: string | undefined;
  price?: OandaPrice;
  /** Overrides of the environment's hosts (tests point them at a fake on loopback). */
  restBase?: string;
  streamBase?: string;
  heartbeatTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

export function createOandaSource(o: OandaSourceOptions): PolledSource {
  if (!o.token) throw new ConfigError('the oanda feed needs OANDA_TOKEN (a v20 personal access token)', { variable: 'OANDA_TOKEN' });
  if (!o.accountId) throw new ConfigError('the oanda feed needs OANDA_ACCOUNT (the v20 account id, e.g. 101-004-1234567-001)', { variable: 'OANDA_ACCOUNT' });
  if (o.symbols.length === 0) throw new ConfigError('the oanda feed needs symbols: set SYMBOLS or pass --symbols EUR/USD,GBP/USD');
  for (const s of o.symbols) instrumentOf(s);
  granularityOf(o.timeframe);
  const hosts = OANDA_HOSTS[o.environment];
  const clock = o.clock ?? systemClock;
  const client = new OandaClient({ restBase: o.restBase ?? hosts.rest, token: o.token, accountId: o.accountId, price: o.price, fetchImpl: o.fetchImpl });
  const root = o.log ?? rootLogger();
  const log = root.child({ module: 'oanda' });
  const heartbeat = new PricingHeartbeat({
    streamBase: o.streamBase ?? hosts.stream,
    accountId: o.accountId,
    headers: client.headers(),
    symbols: o.symbols,
    timeoutMs: o.heartbeatTimeoutMs,
    backoff: o.backoff,
    clock,
    log,
    fetchImpl: o.fetchImpl,
  });
  const venue: CandleVenue = {
    name: 'oanda',
    pageLimit: 5000,
    fetchCandles: (symbol, tf, from, limit, signal) => client.candles(symbol, tf, from, limit, signal),
    closedThroughout(from, to, tf) {
      const ms = timeframeMs(tf);
      if (heartbeat.quietThroughout(from, to + ms)) return true;
      return marketShutThroughout('forex', from, to, ms);
    },
  };
  log.info({ environment: o.environment, price: o.price ?? 'M', symbols: o.symbols.length }, 'oanda feed: volume is tick volume (price updates per candle), not traded size');
  return new PolledSource({
    kind: 'oanda',
    venue,
    symbols: o.symbols,
    timeframe: o.timeframe,
    clock,
    log: root,
    resume: o.resume,
    warmupCandles: o.warmupCandles,
    settleMs: o.settleMs,
    backoff: o.backoff,
    liveness: heartbeat,
  });
}

/** `doctor`'s one line: the token works, the account offers every symbol, the timeframe exists. */
export async function checkOanda(o: OandaSourceOptions, signal: AbortSignal): Promise<string> {
  if (!o.token || !o.accountId) throw new ConfigError('OANDA_TOKEN and OANDA_ACCOUNT must both be set for the oanda feed');
  const g = granularityOf(o.timeframe);
  const client = new OandaClient({ restBase: o.restBase ?? OANDA_HOSTS[o.environment].rest, token: o.token, accountId: o.accountId, fetchImpl: o.fetchImpl });
  const offered = new Set(await client.instruments(signal));
  const missing = o.symbols.filter((s) => !offered.has(instrumentOf(s)));
  if (missing.length > 0) {
    const some = [...offered].slice(0, 12).map((i) => i.replace('_', '/')).join(', ');
    throw new ConfigError(`OANDA account ${o.accountId} does not offer ${missing.join(', ')}; it offers ${offered.size} instruments, e.g. ${some}`);
  }
  return `oanda:${o.environment} reachable, ${o.symbols.length} instrument(s) offered, granularity ${g}`;
}
