/**
 * OANDA v20 REST for candles (GET /v3/instruments/{instrument}/candles) and the account's
 * instrument list (GET /v3/accounts/{accountID}/instruments), parsed with zod at the edge.
 *
 * Requests ask for UNIX times (`Accept-Datetime-Format: UNIX`: seconds as a decimal string), daily
 * alignment at 00:00 UTC (so H4 and D candles open where signalbase's timeframes do), and the price
 * component the feed was configured with (M midpoint by default, B bid, A ask). Volume in OANDA's
 * candles is tick volume (the number of price updates), not traded size: it is passed on as such.
 *
 * Failures are typed: network errors, 429 and 5xx are retryable (429 with its Retry-After); 400,
 * 401, 403, 404 and 405 are fatal and carry OANDA's `errorMessage`. The token is sent, never logged.
 */
import { z } from 'zod';
import { SignalbaseError } from '../../domain/errors.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import type { VenueCandle } from '../polled/venue.ts';
import { granularityOf, instrumentOf } from './instruments.ts';

export type OandaPrice = 'M' | 'B' | 'A';

export class OandaError extends SignalbaseError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, opts: { retryable: boolean; status?: number; retryAfterMs?: number; cause?: unknown }) {
    super('OANDA_REQUEST_FAILED', message, { retryable: opts.retryable, cause: opts.cause, context: { status: opts.status } });
    this.retryAfterMs = opts.retryAfterMs;
  }
}

const price = z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number);
const ohlc = z.object({ o: price, h: price, l: price, c: price });
const candlesBody = z.object({
  candles: z.array(
    z.object({
      time: z.string().regex(/^\d+(\.\d+)?$/),
      volume: z.number().int().nonnegative(),
      complete: z.boolean(),
      mid: ohlc.optional(),
      bid: ohlc.optional(),
      ask: ohlc.optional(),
    }),
  ),
});
const instrumentsBody = z.object({ instruments: z.array(z.object({ name: z.string(), type: z.string().optional() })) });
const errorBody = z.object({ errorMessage: z.string() });

export interface OandaClientOptions {
  restBase: string;
  token: string;
  accountId?: string;
  price?: OandaPrice;
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
}

function retryAfterMs(res: Response): number | undefined {
  const v = res.headers.get('retry-after');
  if (!v) return undefined;
  const s = Number(v);
  if (Number.isFinite(s)) return Math.max(0, s * 1000);
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

export class OandaClient {
  constructor(private readonly opts: OandaClientOptions) {}

  headers(): Record<string, string> {
    return { Authorization: `Bearer ${this.opts.token}`, 'Accept-Datetime-Format': 'UNIX', Accept: 'application/json' };
  }

  async get(path: string, signal: AbortSignal): Promise<unknown> {
    const url = `${this.opts.restBase.replace(/\/+$/, '')}${path}`;
    let res: Response;
    try {
      res = await (this.opts.fetchImpl ?? fetch)(url, {
        headers: this.headers(),
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.opts.requestTimeoutMs ?? 10_000)]),
      });
    } catch (err) {
      throw new OandaError(`OANDA request ${path.split('?')[0]} failed: ${(err as Error).message}`, { retryable: true, cause: err });
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) {
      const parsed = errorBody.safeParse(safeJson(text));
      const why = parsed.success ? parsed.data.errorMessage : text.slice(0, 200);
      const retryable = res.status === 429 || res.status >= 500;
      throw new OandaError(`OANDA answered ${res.status} for ${path.split('?')[0]}: ${why}`, { retryable, status: res.status, retryAfterMs: retryAfterMs(res) });
    }
    const body = safeJson(text);
    if (body === undefined) throw new OandaError(`OANDA sent a body that is not JSON for ${path.split('?')[0]}`, { retryable: true, status: res.status });
    return body;
  }

  /** Candles with openTime >= from, oldest first, at most `count` (OANDA allows 5,000). */
  async candles(symbol: string, timeframe: Timeframe, from: number, count: number, signal: AbortSignal): Promise<VenueCandle[]> {
    const component = this.opts.price ?? 'M';
    const q = new URLSearchParams({
      granularity: granularityOf(timeframe),
      price: component,
      from: (from / 1000).toFixed(0),
      count: String(Math.max(1, Math.min(5000, count))),
      dailyAlignment: '0',
      alignmentTimezone: 'UTC',
    });
    const body = await this.get(`/v3/instruments/${instrumentOf(symbol)}/candles?${q}`, signal);
    const parsed = candlesBody.safeParse(body);
    if (!parsed.success) throw new OandaError(`OANDA candles for ${symbol} have an unexpected shape: ${parsed.error.issues[0]?.message}`, { retryable: true });
    const key = component === 'M' ? 'mid' : component === 'B' ? 'bid' : 'ask';
    const out: VenueCandle[] = [];
    for (const c of parsed.data.candles) {
      const p = c[key];
      if (!p) throw new OandaError(`OANDA candle for ${symbol} lacks '${key}' prices`, { retryable: false });
      out.push({ openTime: Math.round(Number(c.time) * 1000), open: p.o, high: p.h, low: p.l, close: p.c, volume: c.volume, complete: c.complete });
    }
    return out;
  }

  /** The instruments the account may trade, as OANDA names them (EUR_USD). */
  async instruments(signal: AbortSignal): Promise<string[]> {
    if (!this.opts.accountId) throw new OandaError('OANDA_ACCOUNT is not set: the instrument list is per account', { retryable: false });
    const body = await this.get(`/v3/accounts/${encodeURIComponent(this.opts.accountId)}/instruments`, signal);
    const parsed = instrumentsBody.safeParse(body);
    if (!parsed.success) throw new OandaError('OANDA instruments answer has an unexpected shape', { retryable: true });
    return parsed.data.instruments.map((i) => i.name);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
