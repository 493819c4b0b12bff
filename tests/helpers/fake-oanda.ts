/**
 * A fake OANDA v20 on loopback for feed tests, speaking the documented shapes of
 * - GET /v3/instruments/{instrument}/candles (https://developer.oanda.com/rest-live-v20/instrument-ep/):
 *   `price` M|B|A, `granularity`, `from` (UNIX seconds with Accept-Datetime-Format: UNIX), `count`
 *   (max 5000); answer `{"instrument","granularity","candles":[{"complete","volume","time",
 *   "mid"|"bid"|"ask":{"o","h","l","c"}}]}` with prices as decimal strings and times as UNIX
 *   seconds "1516442400.000000000"; the still-forming candle comes with `"complete": false`.
 * - GET /v3/accounts/{accountID}/instruments (account-ep): `{"instruments":[{"name","type","displayName"}]}`.
 * - GET /v3/accounts/{accountID}/pricing/stream (pricing-ep, streaming): a chunked body of one JSON
 *   object a line, PRICE messages and `{"type":"HEARTBEAT","time"}` (every 5 s on the real service;
 *   here on every advance and every `heartbeatEveryMs` of real time).
 * - Errors as v20 sends them: `{"errorMessage": "..."}` with 400, 401, 404, 405; 429 with Retry-After.
 *
 * Time is virtual and moves only when the test calls advance(): candles whose close is at or before
 * the clock are complete. Faults: fail the next requests (429 or 5xx), hide a candle from the next
 * answers (a gap the venue fills later), drop or stall the pricing streams, and shut the market
 * (heartbeats but no tradeable price).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Candle } from '../../src/domain/candle.ts';
import { timeframeMs, type Timeframe } from '../../src/domain/timeframe.ts';
import { VirtualVenue } from './virtual-venue.ts';

export interface FakeOandaOptions {
  /** Ground truth per symbol ('EUR/USD'): the candles the venue has, oldest first. */
  series: Record<string, readonly Candle[]>;
  timeframe: Timeframe;
  token: string;
  accountId: string;
  /** The virtual clock's start (epoch ms). */
  start: number;
  heartbeatEveryMs?: number;
}

const GRANULARITY: Record<string, Timeframe> = { M1: '1m', M5: '5m', M15: '15m', M30: '30m', H1: '1h', H4: '4h', D: '1d' };

interface StreamClient {
  res: ServerResponse;
  instruments: string[];
}

export class FakeOanda extends VirtualVenue {
  requests = 0;
  candleRequests = 0;
  streamConnections = 0;
  /** When true, price lines say `"tradeable": false` (a holiday); heartbeats go on. */
  marketShut = false;

  private readonly tf: number;
  private readonly byInstrument = new Map<string, readonly Candle[]>();
  private readonly streams = new Set<StreamClient>();
  private stalled = false;
  private readonly beat: NodeJS.Timeout;

  private constructor(
    private readonly opts: FakeOandaOptions,
    private readonly http: Server,
    readonly port: number,
  ) {
    super(opts.start);
    this.tf = timeframeMs(opts.timeframe);
    for (const [symbol, candles] of Object.entries(opts.series)) this.byInstrument.set(symbol.replace('/', '_'), candles);
    this.beat = setInterval(() => this.heartbeat(), opts.heartbeatEveryMs ?? 250);
  }

  static async start(opts: FakeOandaOptions): Promise<FakeOanda> {
    const ref: { f?: FakeOanda } = {};
    const http = createServer((req, res) => ref.f!.onRequest(req, res));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    ref.f = new FakeOanda(opts, http, (http.address() as AddressInfo).port);
    return ref.f;
  }

  get base(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Moves the virtual clock and sends each stream a price and a heartbeat. */
  override advance(ms: number): void {
    super.advance(ms);
    this.price();
    this.heartbeat();
  }

  dropStreams(): void {
    for (const s of this.streams) s.res.destroy();
    this.streams.clear();
  }

  stallStreams(stalled: boolean): void {
    this.stalled = stalled;
  }

  async close(): Promise<void> {
    clearInterval(this.beat);
    this.dropStreams();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ---- wire ------------------------------------------------------------------------------------

  private error(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
    res.end(JSON.stringify({ errorMessage: message }));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    const url = new URL(req.url ?? '/', this.base);
    if (req.method !== 'GET') return this.error(res, 405, 'Method not allowed');
    if (req.headers.authorization !== `Bearer ${this.opts.token}`) return this.error(res, 401, 'Insufficient authorization to perform request.');
    const failure = this.takeFailure();
    if (failure) return this.error(res, failure.status, failure.status === 429 ? 'Too many requests' : 'Service unavailable', failure.retryAfter ? { 'Retry-After': failure.retryAfter } : {});
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] === 'v3' && parts[1] === 'instruments' && parts[3] === 'candles' && parts.length === 4) return this.candles(parts[2]!, url, req, res);
    if (parts[0] === 'v3' && parts[1] === 'accounts' && parts.length === 4) {
      if (parts[2] !== this.opts.accountId) return this.error(res, 400, `Invalid value specified for 'accountID'`);
      if (parts[3] === 'instruments') return this.instruments(res);
      if (parts[3] === 'pricing' ) return this.error(res, 404, 'not found');
    }
    if (parts[0] === 'v3' && parts[1] === 'accounts' && parts[3] === 'pricing' && parts[4] === 'stream') return this.stream(parts[2]!, url, res);
    return this.error(res, 404, `The path ${url.pathname} is not a v20 endpoint`);
  }

  private instruments(res: ServerResponse): void {
    const instruments = [...this.byInstrument.keys()].map((name) => ({ name, type: 'CURRENCY', displayName: name.replace('_', '/') }));
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ instruments }));
  }

  private candles(instrument: string, url: URL, req: IncomingMessage, res: ServerResponse): void {
    this.candleRequests++;
    const series = this.byInstrument.get(instrument);
    if (!series) return this.error(res, 400, `Invalid value specified for 'instrument'`);
    const granularity = url.searchParams.get('granularity') ?? 'S5';
    if (GRANULARITY[granularity] !== this.opts.timeframe) return this.error(res, 400, `Invalid value specified for 'granularity'`);
    const price = url.searchParams.get('price') ?? 'M';
    if (!/^[MBA]+$/.test(price)) return this.error(res, 400, `Invalid value specified for 'price'`);
    const unix = req.headers['accept-datetime-format'] === 'UNIX';
    const fromRaw = url.searchParams.get('from');
    const from = fromRaw === null ? undefined : unix ? Number(fromRaw) * 1000 : Date.parse(fromRaw);
    if (from !== undefined && !Number.isFinite(from)) return this.error(res, 400, `Invalid value specified for 'from'`);
    const count = Number(url.searchParams.get('count') ?? 500);
    if (!Number.isInteger(count) || count < 1 || count > 5000) return this.error(res, 400, `Invalid value specified for 'count'. Maximum is 5000`);
    const started = series.filter((c) => c.openTime <= this.now - 1 && (from === undefined || c.openTime >= from));
    const picked = (from === undefined ? started.slice(-count) : started.slice(0, count)).filter((c) => !this.isHidden(instrument, c.openTime));
    const fmt = (v: number) => v.toFixed(5);
    const time = (t: number) => (unix ? `${(t / 1000).toFixed(0)}.000000000` : new Date(t).toISOString().replace('.000Z', '.000000000Z'));
    const candles = picked.map((c) => {
      const complete = c.openTime + this.tf <= this.now;
      // The forming candle: what has traded so far (open and a partial close).
      const v = complete ? c : { ...c, close: (c.open + c.close) / 2, high: Math.max(c.open, (c.open + c.close) / 2), low: Math.min(c.open, (c.open + c.close) / 2) };
      const ohlc = { o: fmt(v.open), h: fmt(v.high), l: fmt(v.low), c: fmt(v.close) };
      const out: Record<string, unknown> = { complete, volume: Math.round(v.volume), time: time(c.openTime) };
      if (price.includes('M')) out.mid = ohlc;
      if (price.includes('B')) out.bid = ohlc;
      if (price.includes('A')) out.ask = ohlc;
      return out;
    });
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ instrument, granularity, candles }));
  }

  private stream(account: string, url: URL, res: ServerResponse): void {
    if (account !== this.opts.accountId) return this.error(res, 400, `Invalid value specified for 'accountID'`);
    const instruments = (url.searchParams.get('instruments') ?? '').split(',').filter(Boolean);
    if (instruments.length === 0 || instruments.some((i) => !this.byInstrument.has(i))) return this.error(res, 400, `Invalid value specified for 'instruments'`);
    this.streamConnections++;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Transfer-Encoding': 'chunked' });
    const client = { res, instruments };
    this.streams.add(client);
    res.on('close', () => this.streams.delete(client));
    this.heartbeat();
  }

  private send(line: object): void {
    if (this.stalled) return;
    for (const s of this.streams) s.res.write(`${JSON.stringify(line)}\n`);
  }

  private heartbeat(): void {
    this.send({ type: 'HEARTBEAT', time: `${(this.now / 1000).toFixed(0)}.000000000` });
  }

  private price(): void {
    for (const s of this.streams) {
      if (this.stalled) break;
      for (const instrument of s.instruments) {
        s.res.write(`${JSON.stringify({ type: 'PRICE', instrument, time: `${(this.now / 1000).toFixed(0)}.000000000`, tradeable: !this.marketShut, status: this.marketShut ? 'non-tradeable' : 'tradeable', bids: [{ price: '1.10000', liquidity: 1000000 }], asks: [{ price: '1.10010', liquidity: 1000000 }] })}\n`);
      }
    }
  }
}
