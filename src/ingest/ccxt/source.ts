/**
 * The `ccxt:EXCHANGE` feed (DESIGN.md "Feeds"): closed candles of any exchange the `ccxt` package
 * speaks, from its unified fetchOHLCV, polled at each candle close (ingest/polled) with the
 * exchange's own page limit and ccxt's rate limiter on (`enableRateLimit`). Warm-up and every gap
 * come from the same requests. Symbols and the timeframe are checked against loadMarkets() and the
 * exchange's timeframes at start, with an error naming what the exchange offers.
 *
 * No credentials: candles are public data, so none are read, sent or logged.
 * ccxt is loaded only when this feed is chosen (it is large); its errors are classified at the
 * edge: what can only fail again (BadSymbol, BadRequest, AuthenticationError, PermissionDenied,
 * NotSupported) fails the feed with the exchange's message; everything else (NetworkError, rate
 * limits, and the plain ExchangeError many exchanges map their "internal error, try again" to) is
 * retried with backoff, since reading candles changes nothing.
 */
import { SignalbaseError } from '../../domain/errors.ts';
import { ConfigError } from '../../errors.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import type { Logger } from '../../log.ts';
import { PolledSource } from '../polled/polled-source.ts';
import type { CandleVenue, VenueCandle } from '../polled/venue.ts';
import type { StepBackoff } from '../../domain/timing.ts';

export class CcxtError extends SignalbaseError {
  constructor(message: string, opts: { retryable: boolean; cause?: unknown }) {
    super('CCXT_REQUEST_FAILED', message, { retryable: opts.retryable, cause: opts.cause });
  }
}

/** The part of a ccxt Exchange this feed uses. */
interface Exchange {
  id: string;
  has: Record<string, unknown>;
  timeframes: Record<string, unknown> | undefined;
  markets: Record<string, unknown> | undefined;
  urls: { api?: unknown };
  features?: { spot?: { fetchOHLCV?: { limit?: number } } };
  loadMarkets(): Promise<unknown>;
  fetchOHLCV(symbol: string, timeframe: string, since?: number, limit?: number): Promise<(number | undefined)[][]>;
  close?(): Promise<unknown>;
}

type ErrorClass = new (...a: unknown[]) => Error;
type CcxtModule = { exchanges: string[] } & Record<string, unknown>;

const PERMANENT = ['BadSymbol', 'BadRequest', 'AuthenticationError', 'PermissionDenied', 'AccountSuspended', 'NotSupported', 'ArgumentsRequired'];

export interface CcxtSourceOptions {
  exchange: string;
  symbols: readonly string[];
  timeframe: Timeframe;
  /** Sends every API request to this base instead (tests: a fake exchange on loopback; or a proxy). */
  restBase?: string;
  /** ccxt's per-request timeout. Default ccxt's (10 s). */
  requestTimeoutMs?: number;
  clock?: Clock;
  log: Logger;
  resume?: ReadonlyMap<string, number>;
  warmupCandles?: number;
  settleMs?: number;
  backoff?: StepBackoff;
}

let loaded: Promise<CcxtModule> | undefined;
const loadCcxt = () => (loaded ??= import('ccxt').then((m) => (m.default ?? m) as unknown as CcxtModule));

/** Points every REST URL of the exchange at `base`, keeping each URL's path. */
function redirect(urls: unknown, base: string): void {
  if (!urls || typeof urls !== 'object') return;
  const o = urls as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string' && /^https?:/.test(v)) o[k] = `${base.replace(/\/+$/, '')}${new URL(v).pathname.replace(/\/+$/, '')}`;
    else if (typeof v === 'object') redirect(v, base);
  }
}

async function openExchange(o: CcxtSourceOptions): Promise<{ ex: Exchange; ccxt: CcxtModule }> {
  const ccxt = await loadCcxt();
  const id = o.exchange.toLowerCase();
  if (!ccxt.exchanges.includes(id)) {
    const near = ccxt.exchanges.filter((e) => e.startsWith(id.slice(0, 3))).slice(0, 8);
    throw new ConfigError(`ccxt has no exchange '${o.exchange}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (${ccxt.exchanges.length} exchanges, e.g. binance, kraken, coinbase, okx, bybit)`, { exchange: o.exchange });
  }
  const Ctor = ccxt[id] as new (config: Record<string, unknown>) => Exchange;
  // Spot markets only: a candle feed needs no futures or options listings (and binance would fetch three).
  const ex = new Ctor({
    enableRateLimit: true,
    ...(o.requestTimeoutMs ? { timeout: o.requestTimeoutMs } : {}),
    options: { fetchMarkets: { types: ['spot'] }, defaultType: 'spot' },
  });
  if (o.restBase) redirect(ex.urls.api, o.restBase);
  return { ex, ccxt };
}

function classify(err: unknown, ccxt: CcxtModule, what: string): CcxtError {
  const retryable = !PERMANENT.some((name) => typeof ccxt[name] === 'function' && err instanceof (ccxt[name] as ErrorClass));
  return new CcxtError(`${what}: ${(err as Error)?.message ?? String(err)}`.slice(0, 500), { retryable, cause: err });
}

/** Loads the markets and checks the symbols and the timeframe; the error names what is offered. */
async function checkOffer(ex: Exchange, ccxt: CcxtModule, o: CcxtSourceOptions): Promise<void> {
  try {
    await ex.loadMarkets();
  } catch (err) {
    throw classify(err, ccxt, `ccxt:${ex.id} could not load its markets`);
  }
  if (!ex.has.fetchOHLCV) throw new ConfigError(`ccxt:${ex.id} has no candle (OHLCV) API`);
  const tfs = Object.keys(ex.timeframes ?? {});
  if (!tfs.includes(o.timeframe)) throw new ConfigError(`ccxt:${ex.id} has no ${o.timeframe} candles; it offers ${tfs.join(', ')}`, { timeframe: o.timeframe });
  const markets = Object.keys(ex.markets ?? {});
  const missing = o.symbols.filter((s) => !ex.markets?.[s]);
  if (missing.length > 0) {
    const hint = missing.map((m) => markets.filter((k) => k.startsWith(`${m.split('/')[0]}/`)).slice(0, 5)).flat();
    throw new ConfigError(
      `ccxt:${ex.id} does not list ${missing.join(', ')} (${markets.length} spot markets${hint.length ? `, e.g. ${hint.join(', ')}` : `, e.g. ${markets.slice(0, 5).join(', ')}`})`,
      { symbols: missing },
    );
  }
}

export async function createCcxtSource(o: CcxtSourceOptions): Promise<PolledSource> {
  if (o.symbols.length === 0) throw new ConfigError(`the ccxt:${o.exchange} feed needs symbols: set SYMBOLS or pass --symbols BTC/USDT,ETH/USDT`);
  const { ex, ccxt } = await openExchange(o);
  await checkOffer(ex, ccxt, o);
  const limit = Math.min(1000, ex.features?.spot?.fetchOHLCV?.limit ?? 500);
  const venue: CandleVenue = {
    name: `ccxt:${ex.id}`,
    pageLimit: limit,
    async fetchCandles(symbol, tf, from, n): Promise<VenueCandle[]> {
      let rows: (number | undefined)[][];
      try {
        rows = await ex.fetchOHLCV(symbol, tf, from, n);
      } catch (err) {
        throw classify(err, ccxt, `ccxt:${ex.id} fetchOHLCV ${symbol} ${tf}`);
      }
      return rows.map(([t, op, hi, lo, cl, vol]) => ({ openTime: Number(t), open: Number(op), high: Number(hi), low: Number(lo), close: Number(cl), volume: vol ?? 0 }));
    },
  };
  const source = new PolledSource({
    kind: 'ccxt',
    venue,
    symbols: o.symbols,
    timeframe: o.timeframe,
    clock: o.clock,
    log: o.log,
    resume: o.resume,
    warmupCandles: o.warmupCandles,
    settleMs: o.settleMs,
    backoff: o.backoff,
  });
  void source.finished.finally(() => ex.close?.().catch(() => undefined));
  return source;
}

/** `doctor`'s one line for a ccxt feed. */
export async function checkCcxt(o: CcxtSourceOptions): Promise<string> {
  const { ex, ccxt } = await openExchange(o);
  try {
    await checkOffer(ex, ccxt, o);
    return `ccxt:${ex.id} reachable, ${o.symbols.length} symbol(s) listed, ${o.timeframe} offered`;
  } finally {
    await ex.close?.().catch(() => undefined);
  }
}
