/**
 * A fake Binance on loopback for feed tests: a real `ws` server (combined stream endpoint with
 * SUBSCRIBE) and a node:http REST endpoint (/api/v3/klines) on one random 127.0.0.1 port, serving
 * a ground-truth series built from real candles on virtual time.
 *
 * Time only moves when the test calls tick(): candle `cursor` closes, its x:true frame goes to every
 * healthy subscriber (after an x:false update, as Binance sends), and the virtual clock moves to its
 * close. REST serves every closed candle plus the still-open one with partial values, as the real
 * endpoint does, so a client that trusts REST rows blindly stores an unfinished candle.
 *
 * Refusals, as Binance answers them (binance-spot-api-docs: errors.md, rest-api.md, web-socket-streams.md):
 * a klines parameter that is not a number (startTime=abc) is HTTP 400 {"code":-1100,"msg":"Illegal
 * characters found in parameter 'startTime'; legal range is '^[0-9]{1,20}$'."}, never "every row";
 * limit above 1000 is 400 -1130; on the websocket SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS are
 * served and any other method gets {"error":{"code":2,"msg":"Invalid request: unknown variant ..."},"id":…}.
 *
 * Faults: drop every connection, stall connections (no frames, no pongs: a half-dead socket),
 * refuse the next SUBSCRIBE, fail the next REST requests, and send arbitrary raw frames.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import type { Candle } from '../../src/domain/candle.ts';
import type { Clock } from '../../src/domain/clock.ts';
import { timeframeMs, type Timeframe } from '../../src/domain/timeframe.ts';

export interface FakeExchangeOptions {
  /** Ground truth per symbol ('LTC/BTC'); every series must have a candle at each open time. */
  series: Record<string, readonly Candle[]>;
  timeframe: Timeframe;
}

interface Client {
  ws: WebSocket;
  streams: Set<string>;
  stalled: boolean;
}

const exchangeSymbol = (s: string) => s.replace('/', '');

export class FakeExchange {
  readonly clock: Clock;
  /** Index of the next candle to close. */
  cursor = 0;
  connectionsTotal = 0;
  subscribeRequests = 0;
  /** Websocket requests with a method Binance does not know (answered with error code 2). */
  unknownMethods = 0;
  /** REST requests refused for a malformed parameter (HTTP 400, -1100 / -1130). */
  badParameterRequests = 0;
  restRequests = 0;

  private readonly clients = new Set<Client>();
  private readonly tf: number;
  private readonly times: number[];
  private readonly bySymbol = new Map<string, Map<number, Candle>>();
  private refuseSubscriptions = 0;
  private restFailures = 0;
  private now: number;

  private constructor(
    private readonly opts: FakeExchangeOptions,
    private readonly http: Server,
    private readonly wss: WebSocketServer,
    readonly port: number,
  ) {
    this.tf = timeframeMs(opts.timeframe);
    const symbols = Object.keys(opts.series);
    this.times = opts.series[symbols[0]!]!.map((c) => c.openTime);
    for (const s of symbols) {
      const m = new Map(opts.series[s]!.map((c) => [c.openTime, c]));
      if (this.times.some((t) => !m.has(t))) throw new Error(`fake exchange: series ${s} does not cover every open time`);
      this.bySymbol.set(exchangeSymbol(s), m);
    }
    this.now = this.times[0]!;
    this.clock = { now: () => this.now };
    wss.on('connection', (ws, req) => this.onConnection(ws, req));
  }

  static async start(opts: FakeExchangeOptions): Promise<FakeExchange> {
    const ref: { ex?: FakeExchange } = {};
    const http = createServer((req, res) => ref.ex!.onRest(req, res));
    const wss = new WebSocketServer({ server: http, path: '/stream', autoPong: false });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    ref.ex = new FakeExchange(opts, http, wss, (http.address() as AddressInfo).port);
    return ref.ex;
  }

  get wsBase(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  get restBase(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Healthy, subscribed connections. */
  get liveConnections(): number {
    return [...this.clients].filter((c) => !c.stalled && c.streams.size > 0 && c.ws.readyState === WebSocket.OPEN).length;
  }

  get length(): number {
    return this.times.length;
  }

  openTime(i: number): number {
    return this.times[i]!;
  }

  /**
   * Closes candle `cursor` for every symbol and sends it to healthy subscribers; with
   * `send: false` the frames are lost on the way (the candle exists only on REST).
   */
  tick(opts: { send?: boolean } = {}): void {
    const t = this.times[this.cursor]!;
    this.cursor += 1;
    this.now = t + this.tf;
    if (opts.send === false) return;
    for (const [ex, m] of this.bySymbol) {
      const c = m.get(t)!;
      this.broadcast(ex, this.klineFrame(ex, { ...c, close: c.open, high: Math.max(c.open, c.low), volume: c.volume / 2 }, false));
      this.broadcast(ex, this.klineFrame(ex, c, true));
    }
  }

  /** Terminates every connection, as a network failure would. */
  dropConnections(): void {
    for (const c of this.clients) c.ws.terminate();
  }

  /** Current connections stop receiving frames and pongs but stay open. */
  stallConnections(): void {
    for (const c of this.clients) c.stalled = true;
  }

  refuseNextSubscriptions(n = 1): void {
    this.refuseSubscriptions += n;
  }

  failNextRestRequests(n: number): void {
    this.restFailures += n;
  }

  /** Sends a raw frame (text, or binary) to every healthy connection. */
  sendRaw(frame: string | Buffer): void {
    for (const c of this.clients) if (!c.stalled && c.ws.readyState === WebSocket.OPEN) c.ws.send(frame, { binary: Buffer.isBuffer(frame) });
  }

  /** A well-formed combined-stream kline frame for `c`; tests mutate its fields to build bad ones. */
  klineFrame(ex: string, c: Candle, closed: boolean): Record<string, unknown> {
    return {
      stream: `${ex.toLowerCase()}@kline_${this.opts.timeframe}`,
      data: {
        e: 'kline',
        E: this.now,
        s: ex,
        k: {
          t: c.openTime,
          T: c.openTime + this.tf - 1,
          s: ex,
          i: this.opts.timeframe,
          f: 100,
          L: 200,
          o: String(c.open),
          c: String(c.close),
          h: String(c.high),
          l: String(c.low),
          v: String(c.volume),
          n: 101,
          x: closed,
          q: '0',
          V: '0',
          Q: '0',
          B: '0',
        },
      },
    };
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  private broadcast(ex: string, frame: unknown): void {
    const stream = `${ex.toLowerCase()}@kline_${this.opts.timeframe}`;
    const text = JSON.stringify(frame);
    for (const c of this.clients) {
      if (!c.stalled && c.streams.has(stream) && c.ws.readyState === WebSocket.OPEN) c.ws.send(text);
    }
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    this.connectionsTotal += 1;
    const url = new URL(req.url ?? '/', 'http://x');
    const client: Client = { ws, streams: new Set((url.searchParams.get('streams') ?? '').split('/').filter(Boolean)), stalled: false };
    this.clients.add(client);
    ws.on('close', () => this.clients.delete(client));
    ws.on('error', () => undefined);
    ws.on('ping', (data) => {
      if (!client.stalled) ws.pong(data);
    });
    ws.on('message', (data) => {
      if (client.stalled) return;
      let msg: { method?: string; params?: string[]; id?: number };
      try {
        msg = JSON.parse(data.toString()) as typeof msg;
      } catch {
        ws.send(JSON.stringify({ error: { code: 3, msg: 'Invalid JSON' } }));
        return;
      }
      if (msg.method === 'UNSUBSCRIBE') {
        for (const p of msg.params ?? []) client.streams.delete(p);
        ws.send(JSON.stringify({ result: null, id: msg.id }));
        return;
      }
      if (msg.method === 'LIST_SUBSCRIPTIONS') {
        ws.send(JSON.stringify({ result: [...client.streams], id: msg.id }));
        return;
      }
      if (msg.method !== 'SUBSCRIBE') {
        this.unknownMethods += 1;
        const msgText = `Invalid request: unknown variant \`${String(msg.method)}\`, expected one of \`SUBSCRIBE\`, \`UNSUBSCRIBE\`, \`LIST_SUBSCRIPTIONS\`, \`SET_PROPERTY\`, \`GET_PROPERTY\``;
        ws.send(JSON.stringify({ error: { code: 2, msg: msgText }, id: msg.id ?? null }));
        return;
      }
      this.subscribeRequests += 1;
      if (this.refuseSubscriptions > 0) {
        this.refuseSubscriptions -= 1;
        ws.send(JSON.stringify({ error: { code: 2, msg: 'Invalid request: too many subscriptions' }, id: msg.id }));
        return;
      }
      for (const p of msg.params ?? []) client.streams.add(p);
      ws.send(JSON.stringify({ result: null, id: msg.id }));
    });
  }

  private onRest(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname !== '/api/v3/klines') {
      res.writeHead(404).end('{"code":-1,"msg":"not found"}');
      return;
    }
    this.restRequests += 1;
    if (this.restFailures > 0) {
      this.restFailures -= 1;
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":-1001,"msg":"Internal error"}');
      return;
    }
    const m = this.bySymbol.get(url.searchParams.get('symbol') ?? '');
    if (!m || url.searchParams.get('interval') !== this.opts.timeframe) {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":-1121,"msg":"Invalid symbol."}');
      return;
    }
    for (const name of ['startTime', 'endTime', 'limit']) {
      const v = url.searchParams.get(name);
      if (v !== null && !/^[0-9]{1,20}$/.test(v)) {
        this.badParameterRequests += 1;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ code: -1100, msg: `Illegal characters found in parameter '${name}'; legal range is '^[0-9]{1,20}$'.` }));
        return;
      }
    }
    if (Number(url.searchParams.get('limit') ?? 500) > 1000) {
      this.badParameterRequests += 1;
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"code":-1130,"msg":"Invalid data sent for a parameter."}');
      return;
    }
    const start = Number(url.searchParams.get('startTime') ?? 0);
    const end = Number(url.searchParams.get('endTime') ?? Number.MAX_SAFE_INTEGER);
    const limit = Number(url.searchParams.get('limit') ?? 500);
    const rows: unknown[] = [];
    for (const t of this.times) {
      if (t < start || t > end || t > this.now || rows.length >= limit) continue;
      const c = m.get(t)!;
      // The candle opened at `now` is still forming: Binance serves it with the values so far.
      const shown = t + this.tf <= this.now ? c : { ...c, close: c.open, high: Math.max(c.open, c.low), volume: 0 };
      rows.push([t, String(shown.open), String(shown.high), String(shown.low), String(shown.close), String(shown.volume), t + this.tf - 1, '0', 10, '0', '0', '0']);
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rows));
  }
}

