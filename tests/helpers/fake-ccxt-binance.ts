/**
 * A fake Binance spot REST API on loopback for the ccxt feed: the two endpoints ccxt's `binance`
 * class calls for candles, answered in Binance's documented shapes
 * (https://developers.binance.com/docs/binance-spot-api-docs/rest-api/market-data-endpoints and
 * general-endpoints):
 * - GET /api/v3/exchangeInfo: `{"timezone","serverTime","rateLimits","exchangeFilters","symbols":[...]}`
 * - GET /api/v3/klines?symbol&interval&startTime&limit (limit <= 1000): rows
 *   `[openTime, "open", "high", "low", "close", "volume", closeTime, "quoteVolume", trades,
 *   "takerBase", "takerQuote", "0"]`, the still-open candle last with what has traded so far.
 * - Errors as Binance sends them: `{"code": -1100, "msg": "..."}` with 400 for a bad parameter,
 *   429 `{"code": -1003}` with Retry-After, 5xx, and unknown paths 404.
 * Time is virtual (virtual-venue.ts). Faults: fail the next requests, hide a candle from the next
 * answers, reset the next connections, or stall them (no answer until the client gives up).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Candle } from '../../src/domain/candle.ts';
import { timeframeMs, type Timeframe } from '../../src/domain/timeframe.ts';
import { VirtualVenue } from './virtual-venue.ts';

export interface FakeCcxtBinanceOptions {
  series: Record<string, readonly Candle[]>;
  timeframe: Timeframe;
  start: number;
}

const pair = (s: string) => s.replace('/', '');

export class FakeCcxtBinance extends VirtualVenue {
  klineRequests = 0;
  private readonly tf: number;
  private readonly bySymbol = new Map<string, readonly Candle[]>();
  private resets = 0;
  private stalls = 0;

  private constructor(
    private readonly opts: FakeCcxtBinanceOptions,
    private readonly http: Server,
    readonly port: number,
  ) {
    super(opts.start);
    this.tf = timeframeMs(opts.timeframe);
    for (const [s, c] of Object.entries(opts.series)) this.bySymbol.set(pair(s), c);
  }

  static async start(opts: FakeCcxtBinanceOptions): Promise<FakeCcxtBinance> {
    const ref: { f?: FakeCcxtBinance } = {};
    const http = createServer((req, res) => ref.f!.onRequest(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    ref.f = new FakeCcxtBinance(opts, http, (http.address() as AddressInfo).port);
    return ref.f;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  resetNext(n: number): void {
    this.resets += n;
  }

  stallNext(n: number): void {
    this.stalls += n;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private error(res: ServerResponse, status: number, code: number, msg: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ code, msg }));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', this.base);
    if (this.resets > 0) {
      this.resets--;
      req.socket.destroy();
      return;
    }
    if (this.stalls > 0) {
      this.stalls--;
      return; // never answered: the client's timeout decides
    }
    if (url.pathname === '/api/v3/exchangeInfo') return this.exchangeInfo(res);
    if (url.pathname !== '/api/v3/klines') return this.error(res, 404, -1, `Unknown endpoint ${url.pathname}`);
    const failure = this.takeFailure();
    if (failure) {
      if (failure.status === 429) return this.error(res, 429, -1003, 'Too many requests; current limit is 6000 request weight per 1 MINUTE.', failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {});
      return this.error(res, failure.status, -1001, 'Internal error; unable to process your request. Please try again.');
    }
    this.klines(url, res);
  }

  private exchangeInfo(res: ServerResponse): void {
    const symbols = [...this.bySymbol.keys()].map((p) => {
      const [base, quote] = Object.keys(this.opts.series).find((s) => pair(s) === p)!.split('/');
      return {
        symbol: p, status: 'TRADING', baseAsset: base, baseAssetPrecision: 8, quoteAsset: quote, quotePrecision: 8, quoteAssetPrecision: 8,
        orderTypes: ['LIMIT', 'MARKET'], icebergAllowed: true, ocoAllowed: true, isSpotTradingAllowed: true, isMarginTradingAllowed: false,
        filters: [], permissions: ['SPOT'], permissionSets: [['SPOT']],
      };
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ timezone: 'UTC', serverTime: this.now, rateLimits: [], exchangeFilters: [], symbols }));
  }

  private klines(url: URL, res: ServerResponse): void {
    this.klineRequests++;
    const symbol = url.searchParams.get('symbol') ?? '';
    const series = this.bySymbol.get(symbol);
    if (!series) return this.error(res, 400, -1121, 'Invalid symbol.');
    if (url.searchParams.get('interval') !== this.opts.timeframe) return this.error(res, 400, -1120, 'Invalid interval.');
    const startRaw = url.searchParams.get('startTime');
    if (startRaw !== null && !/^\d+$/.test(startRaw)) return this.error(res, 400, -1100, "Illegal characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'.");
    const limit = Number(url.searchParams.get('limit') ?? 500);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return this.error(res, 400, -1130, "Invalid data sent for a parameter: 'limit'.");
    const start = startRaw === null ? undefined : Number(startRaw);
    const open = series.filter((c) => c.openTime < this.now && (start === undefined || c.openTime >= start));
    const rows = (start === undefined ? open.slice(-limit) : open.slice(0, limit))
      .filter((c) => !this.isHidden(symbol, c.openTime))
      .map((c) => {
        const done = c.openTime + this.tf <= this.now;
        const close = done ? c.close : (c.open + c.close) / 2;
        const v = done ? c : { ...c, close, high: Math.max(c.open, close), low: Math.min(c.open, close), volume: c.volume / 2 };
        return [c.openTime, String(v.open), String(v.high), String(v.low), String(v.close), String(v.volume), c.openTime + this.tf - 1, '0', 1, '0', '0', '0'];
      });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(rows));
  }
}
