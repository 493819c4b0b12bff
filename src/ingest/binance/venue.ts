/**
 * Binance as a live venue (ingest/live/venue.ts): the combined kline stream over one websocket
 * (SUBSCRIBE in messages of at most 200 streams, each acknowledged by id), its frames (frames.ts)
 * and /api/v3/klines for backfill (rest.ts).
 */
import { timeframeMs } from '../../domain/timeframe.ts';
import type { StepBackoff } from '../../domain/timing.ts';
import type { LiveSession, LiveVenue, ParsedFrame, RangeRequest, SessionRequest } from '../live/venue.ts';
import { StreamConnection, type SubscribeProtocol } from '../live/ws-connection.ts';
import { parseMethodResponse, parseRestRow, parseStreamFrame } from './frames.ts';
import { fetchKlineRange } from './rest.ts';
import { exchangeSymbol, klineStream } from './symbols.ts';

/** Binance accepts up to 1024 streams per connection and bounds the params of one message. */
const STREAMS_PER_MESSAGE = 200;

const protocol: SubscribeProtocol = {
  subscribeFrames(streams, nextId) {
    const out: { id: number; text: string }[] = [];
    for (let i = 0; i < streams.length; i += STREAMS_PER_MESSAGE) {
      const id = nextId();
      out.push({ id, text: JSON.stringify({ method: 'SUBSCRIBE', params: streams.slice(i, i + STREAMS_PER_MESSAGE), id }) });
    }
    return out;
  },
  parseAck(value) {
    const r = parseMethodResponse(value);
    if (!r) return undefined;
    return r.error ? { id: r.id, error: { message: r.error.msg ?? JSON.stringify(r.error), raw: r.error } } : { id: r.id };
  },
};

export interface BinanceVenueOptions {
  /** The combined stream endpoint, e.g. wss://stream.binance.com:9443/stream. */
  streamUrl: string;
  restBase: string;
  restAttempts: number;
  restBackoff: StepBackoff;
  fetchImpl?: typeof fetch;
}

export class BinanceVenue implements LiveVenue {
  readonly name = 'binance';
  readonly title = 'Binance';

  constructor(private readonly opts: BinanceVenueOptions) {}

  exchangeSymbol(symbol: string): string {
    return exchangeSymbol(symbol);
  }

  async open(req: SessionRequest, signal: AbortSignal): Promise<LiveSession> {
    const conn = await StreamConnection.open(
      {
        url: this.opts.streamUrl,
        heartbeatMs: req.heartbeatMs,
        connectTimeoutMs: req.connectTimeoutMs,
        subscribeTimeoutMs: req.subscribeTimeoutMs,
        protocol,
        onFrame: req.onFrame,
        log: req.log,
      },
      signal,
    );
    // A stop while subscribing ends the connection (its pending acknowledgements then fail at once).
    const onAbort = () => conn.terminate('local');
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await conn.subscribe(req.symbols.map((s) => klineStream(s, req.timeframe)));
    } catch (err) {
      conn.terminate('local');
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    return conn;
  }

  parseFrame(value: unknown): ParsedFrame {
    return parseStreamFrame(value);
  }

  fetchRange(req: RangeRequest, onPage: (rows: ParsedFrame[]) => Promise<void>): Promise<void> {
    return fetchKlineRange(
      {
        restBase: this.opts.restBase,
        exchangeSymbol: req.exchangeSymbol,
        interval: req.timeframe,
        intervalMs: timeframeMs(req.timeframe),
        from: req.from,
        to: req.to,
        signal: req.signal,
        attempts: this.opts.restAttempts,
        backoff: this.opts.restBackoff,
        fetchImpl: this.opts.fetchImpl,
        onRetry: req.onRetry,
      },
      (rows) => onPage(rows.map((row) => parseRestRow(row, req.exchangeSymbol, req.timeframe))),
    );
  }
}
