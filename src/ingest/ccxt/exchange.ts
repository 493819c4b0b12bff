/**
 * The ccxt package as this feed uses it: loaded only when a ccxt feed is chosen (it is large), one
 * exchange instance (its websocket class from ccxt.pro when the exchange has one), every REST and
 * websocket URL optionally redirected to another base keeping its path (a proxy, or a fake on
 * loopback in tests), the symbols and timeframe checked against loadMarkets(), and the exchange's
 * errors classified at the edge: what can only fail again (BadSymbol, BadRequest,
 * AuthenticationError, PermissionDenied, NotSupported) fails the feed with the exchange's message;
 * everything else (NetworkError, rate limits, the plain ExchangeError many exchanges map their
 * "internal error, try again" to) is retried with backoff, since reading candles changes nothing.
 *
 * No credentials: candles are public data, so none are read, sent or logged.
 */
import { SignalbaseError } from '../../domain/errors.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import { ConfigError } from '../../errors.ts';

export class CcxtError extends SignalbaseError {
  constructor(message: string, opts: { retryable: boolean; cause?: unknown }) {
    super('CCXT_REQUEST_FAILED', message, { retryable: opts.retryable, cause: opts.cause });
  }
}

/** The part of a ccxt Exchange this feed uses. */
export interface Exchange {
  id: string;
  has: Record<string, unknown>;
  timeframes: Record<string, unknown> | undefined;
  markets: Record<string, unknown> | undefined;
  urls: { api?: unknown };
  features?: { spot?: { fetchOHLCV?: { limit?: number } } };
  /** ccxt.pro: the candle cache the websocket handlers fill, by symbol and timeframe. */
  ohlcvs?: Record<string, Record<string, ArrayLike<number[]> | undefined> | undefined>;
  loadMarkets(): Promise<unknown>;
  watchOHLCV?(symbol: string, timeframe: string): Promise<number[][]>;
  watchOHLCVForSymbols?(pairs: string[][]): Promise<Record<string, Record<string, number[][]>>>;
  fetchOHLCV(symbol: string, timeframe: string, since?: number, limit?: number): Promise<(number | undefined)[][]>;
  close?(): Promise<unknown>;
  loadHttpProxyAgent?(): Promise<unknown>;
  /** ccxt.pro: its websocket connections by URL. */
  clients?: Record<string, { isOpen?(): boolean }>;
}

type ErrorClass = new (...a: unknown[]) => Error;
export type CcxtModule = { exchanges: string[] } & Record<string, unknown>;

const PERMANENT = ['BadSymbol', 'BadRequest', 'AuthenticationError', 'PermissionDenied', 'AccountSuspended', 'NotSupported', 'ArgumentsRequired'];

export interface ExchangeOptions {
  exchange: string;
  symbols: readonly string[];
  timeframe: Timeframe;
  /** Sends every REST request to this base instead, keeping the paths. */
  restBase?: string;
  /** Sends every websocket connection to this base instead (ws:// or wss://), keeping the paths. */
  wsBase?: string;
  /** ccxt's per-request timeout. Default ccxt's (10 s). */
  requestTimeoutMs?: number;
  /** Use the exchange's websocket class (ccxt.pro) when it has one. Default true. */
  websocket?: boolean;
  /** Watch each symbol on its own (watchOHLCV) even where the exchange has the batch form. */
  perSymbol?: boolean;
}

let loaded: Promise<CcxtModule> | undefined;
const loadCcxt = () => (loaded ??= import('ccxt').then((m) => (m.default ?? m) as unknown as CcxtModule));

/** Points every URL of the exchange matching `scheme` (http or ws) at `base`, keeping each URL's path. */
function redirect(urls: unknown, base: string, scheme: RegExp): void {
  if (!urls || typeof urls !== 'object') return;
  const o = urls as Record<string, unknown>;
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string' && scheme.test(v)) o[k] = `${base.replace(/\/+$/, '')}${new URL(v).pathname.replace(/\/+$/, '')}`;
    else if (typeof v === 'object') redirect(v, base, scheme);
  }
}

export async function openExchange(o: ExchangeOptions): Promise<{ ex: Exchange; ccxt: CcxtModule }> {
  const ccxt = await loadCcxt();
  const id = o.exchange.toLowerCase();
  if (!ccxt.exchanges.includes(id)) {
    const near = ccxt.exchanges.filter((e) => e.startsWith(id.slice(0, 3))).slice(0, 8);
    throw new ConfigError(`ccxt has no exchange '${o.exchange}'${near.length ? `; did you mean ${near.join(', ')}?` : ''} (${ccxt.exchanges.length} exchanges, e.g. binance, kraken, coinbase, okx, bybit)`, { exchange: o.exchange });
  }
  const pro = ccxt.pro as Record<string, unknown> | undefined;
  const Ctor = ((o.websocket ?? true) && typeof pro?.[id] === 'function' ? pro[id] : ccxt[id]) as new (config: Record<string, unknown>) => Exchange;
  // Spot markets only: a candle feed needs no futures or options listings (and binance would fetch three).
  const ex = new Ctor({
    enableRateLimit: true,
    ...(o.requestTimeoutMs ? { timeout: o.requestTimeoutMs } : {}),
    options: { fetchMarkets: { types: ['spot'] }, defaultType: 'spot' },
  });
  if (o.restBase) redirect(ex.urls.api, o.restBase, /^https?:/);
  if (o.wsBase) {
    redirect(ex.urls.api, o.wsBase, /^wss?:/);
    // ccxt refuses a plain ws:// URL until it has an http agent for it (it needs no proxy).
    if (o.wsBase.startsWith('ws:')) await ex.loadHttpProxyAgent?.();
  }
  return { ex, ccxt };
}

export function classify(err: unknown, ccxt: CcxtModule, what: string): CcxtError {
  const retryable = !PERMANENT.some((name) => typeof ccxt[name] === 'function' && err instanceof (ccxt[name] as ErrorClass));
  return new CcxtError(`${what}: ${(err as Error)?.message ?? String(err)}`.slice(0, 500), { retryable, cause: err });
}

/** Loads the markets and checks the symbols and the timeframe; the error names what is offered. */
export async function checkOffer(ex: Exchange, ccxt: CcxtModule, o: ExchangeOptions): Promise<void> {
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

/** How the exchange delivers candles live: a batch websocket, one websocket per symbol, or none. */
export function streamingMode(ex: Exchange, o: Pick<ExchangeOptions, 'perSymbol'> = {}): 'batch' | 'per_symbol' | 'rest' {
  if (!o.perSymbol && ex.has.watchOHLCVForSymbols && typeof ex.watchOHLCVForSymbols === 'function') return 'batch';
  if (ex.has.watchOHLCV && typeof ex.watchOHLCV === 'function') return 'per_symbol';
  return 'rest';
}

/** One page of a series from fetchOHLCV (rate limiter on), as numbers; its errors classified. */
export async function fetchCandleRows(ex: Exchange, ccxt: CcxtModule, symbol: string, timeframe: Timeframe, from: number, limit: number) {
  let rows: (number | undefined)[][];
  try {
    rows = await ex.fetchOHLCV(symbol, timeframe, from, limit);
  } catch (err) {
    throw classify(err, ccxt, `ccxt:${ex.id} fetchOHLCV ${symbol} ${timeframe}`);
  }
  return rows.map(([t, op, hi, lo, cl, vol]) => ({ openTime: Number(t), open: Number(op), high: Number(hi), low: Number(lo), close: Number(cl), volume: Number(vol ?? 0) }));
}

/** Most candles one fetchOHLCV returns on this exchange (its documented limit, at most 1,000). */
export function pageLimitOf(ex: Exchange): number {
  return Math.min(1000, ex.features?.spot?.fetchOHLCV?.limit ?? 500);
}
