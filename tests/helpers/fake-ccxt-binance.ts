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
 * - The market streams websocket ccxt.pro's `binance` connects to (urls.api.ws.spot + `/<stream
 *   index>`, e.g. /ws/0; https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams):
 *   `{"method":"SUBSCRIBE","params":["ltcbtc@kline_5m"],"id":1}` answered `{"result":null,"id":1}`,
 *   then kline events `{"e":"kline","E","s","k":{"t","T","s","i","o","c","h","l","v","n","x",...}}`
 *   with prices as strings: the candle forming is pushed every 200 ms of real time (Binance pushes
 *   every 1-2 s), and at each close the final update (`"x":true`) then the new candle's first.
 * Time is virtual (virtual-venue.ts). REST faults: fail the next requests, hide a candle from the
 * next answers, reset the next connections, or stall them (no answer until the client gives up).
 * Websocket faults: drop every connection, stall them (open, pongs, no frame), leave a candle out
 * of the stream.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Candle } from '../../src/domain/candle.ts';
import { timeframeMs, type Timeframe } from '../../src/domain/timeframe.ts';
import { VirtualVenue } from './virtual-venue.ts';

export interface FakeCcxtBinanceOptions {
  series: Record<string, readonly Candle[]>;
  timeframe: Timeframe;
  start: number;
}

const pair = (s: string) => s.replace('/', '');

interface StreamClient {
  ws: WebSocket;
  streams: Set<string>;
  stalled: boolean;
}

export class FakeCcxtBinance extends VirtualVenue {
  klineRequests = 0;
  /** Websocket connections accepted so far. */
  wsConnections = 0;
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly clients = new Set<StreamClient>();
  private readonly wsSkipped = new Set<string>();
  private readonly pusher: NodeJS.Timeout;
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
    http.on('upgrade', (req, socket, head) => {
      if (!/^\/ws(\/\d+)?$/.test(new URL(req.url ?? '/', this.base).pathname)) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onStream(ws));
    });
    this.pusher = setInterval(() => this.pushForming(), 200);
    this.pusher.unref();
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

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** Moves the clock; every stream gets the final update of each candle that closed, then the new one's first. */
  override advance(ms: number): void {
    const before = Math.floor(this.now / this.tf) * this.tf;
    super.advance(ms);
    const current = Math.floor(this.now / this.tf) * this.tf;
    for (const c of this.liveClients()) {
      for (const stream of c.streams) {
        for (let t = before; t < current; t += this.tf) this.pushKline(c, stream, t);
        this.pushKline(c, stream, current);
      }
    }
  }

  /** Closes every websocket connection abruptly (no close frame). */
  dropStreams(): void {
    for (const c of this.clients) c.ws.terminate();
  }

  /** The open connections stay open and answer pings but send nothing more. */
  stallStreams(): void {
    for (const c of this.clients) c.stalled = true;
  }

  /** The stream never carries this candle of `pairSymbol` (e.g. XLMBTC): no update, no final. */
  skipOnStream(pairSymbol: string, openTime: number): void {
    this.wsSkipped.add(`${pairSymbol}|${openTime}`);
  }

  private liveClients(): StreamClient[] {
    return [...this.clients].filter((c) => !c.stalled && c.ws.readyState === c.ws.OPEN);
  }

  private onStream(ws: WebSocket): void {
    this.wsConnections++;
    const client: StreamClient = { ws, streams: new Set(), stalled: false };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('message', (data) => {
      let msg: { method?: string; params?: unknown; id?: unknown };
      try {
        msg = JSON.parse(String(data)) as typeof msg;
      } catch {
        ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid JSON' }, id: null }));
        return;
      }
      if (msg.method !== 'SUBSCRIBE' || !Array.isArray(msg.params)) {
        ws.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown method ${String(msg.method)}` }, id: msg.id ?? null }));
        return;
      }
      const bad = msg.params.find((p) => typeof p !== 'string' || !this.bySymbol.has(p.split('@')[0]!.toUpperCase()) || p.split('@')[1] !== `kline_${this.opts.timeframe}`);
      if (bad !== undefined) {
        ws.send(JSON.stringify({ error: { code: 2, msg: `Invalid request: unknown stream ${String(bad)}` }, id: msg.id ?? null }));
        return;
      }
      ws.send(JSON.stringify({ result: null, id: msg.id }));
      const current = Math.floor(this.now / this.tf) * this.tf;
      for (const p of msg.params as string[]) {
        client.streams.add(p);
        if (!client.stalled) this.pushKline(client, p, current);
      }
    });
  }

  private pushForming(): void {
    const current = Math.floor(this.now / this.tf) * this.tf;
    for (const c of this.liveClients()) for (const stream of c.streams) this.pushKline(c, stream, current);
  }

  /** One kline event of `openTime` on `stream`: final when its close has passed on the clock. */
  private pushKline(client: StreamClient, stream: string, openTime: number): void {
    const symbol = stream.split('@')[0]!.toUpperCase();
    const c = this.bySymbol.get(symbol)?.find((x) => x.openTime === openTime);
    if (!c || this.wsSkipped.has(`${symbol}|${openTime}`)) return;
    const v = this.asOfNow(c);
    const k = {
      t: c.openTime, T: c.openTime + this.tf - 1, s: symbol, i: this.opts.timeframe, f: 100, L: 200,
      o: String(v.open), c: String(v.close), h: String(v.high), l: String(v.low), v: String(v.volume), n: 100,
      x: c.openTime + this.tf <= this.now, q: '0', V: '0', Q: '0', B: '0',
    };
    client.ws.send(JSON.stringify({ e: 'kline', E: this.now, s: symbol, k }));
  }

  /** The candle as the exchange has it now: whole once closed, half way while it is forming. */
  private asOfNow(c: Candle): Candle {
    if (c.openTime + this.tf <= this.now) return c;
    const close = (c.open + c.close) / 2;
    return { ...c, close, high: Math.max(c.open, close), low: Math.min(c.open, close), volume: c.volume / 2 };
  }

  resetNext(n: number): void {
    this.resets += n;
  }

  stallNext(n: number): void {
    this.stalls += n;
  }

  async close(): Promise<void> {
    clearInterval(this.pusher);
    for (const c of this.clients) c.ws.terminate();
    this.wss.close();
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
        const v = this.asOfNow(c);
        return [c.openTime, String(v.open), String(v.high), String(v.low), String(v.close), String(v.volume), c.openTime + this.tf - 1, '0', 1, '0', '0', '0'];
      });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(rows));
  }
}
