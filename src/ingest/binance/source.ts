/**
 * The Binance feed: kline streams for many symbols on one combined websocket connection, closed
 * candles only, gaps backfilled from /api/v3/klines. The live-feed base (ingest/live/source.ts)
 * does the work; this file is Binance's endpoints and options.
 */
import { DEFAULT_BACKOFF, type StepBackoff } from '../../domain/timing.ts';
import { LiveSource, type LiveOptions } from '../live/source.ts';
import { BinanceVenue } from './venue.ts';

export interface BinanceOptions extends LiveOptions {
  /** e.g. wss://stream.binance.com:9443; the combined endpoint is WS_BASE/stream. */
  wsBase: string;
  /** e.g. https://api.binance.com; default derived from wsBase (see defaultRestBase). */
  restBase?: string;
  /** REST retry delays; default as backoff. */
  restBackoff?: StepBackoff;
  restAttempts?: number;
  fetchImpl?: typeof fetch;
}

/** stream.binance.com → api.binance.com; otherwise the same host over http(s). */
export function defaultRestBase(wsBase: string): string {
  const u = new URL(wsBase);
  const known: Record<string, string> = {
    'stream.binance.com': 'https://api.binance.com',
    'stream.binance.us': 'https://api.binance.us',
    'data-stream.binance.vision': 'https://data-api.binance.vision',
  };
  if (known[u.hostname]) return known[u.hostname]!;
  return `${u.protocol === 'wss:' ? 'https:' : 'http:'}//${u.host}`;
}

export function combinedStreamUrl(wsBase: string): string {
  const base = wsBase.replace(/\/+$/, '').replace(/\/(ws|stream)$/, '');
  return `${base}/stream`;
}

export class BinanceSource extends LiveSource {
  readonly restBase: string;

  constructor(opts: BinanceOptions) {
    const restBase = opts.restBase ?? defaultRestBase(opts.wsBase);
    const venue = new BinanceVenue({
      streamUrl: combinedStreamUrl(opts.wsBase),
      restBase,
      restAttempts: opts.restAttempts ?? 5,
      restBackoff: opts.restBackoff ?? opts.backoff ?? DEFAULT_BACKOFF,
      fetchImpl: opts.fetchImpl,
    });
    super(venue, opts);
    this.restBase = restBase;
  }
}
