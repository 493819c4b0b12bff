/**
 * Events and receivers for the sink tests: signals shaped as the daemon publishes them (toSignal's
 * wire shape), and a webhook receiver on loopback that records each request, verifies its
 * signature over the raw body, and can be told to fail or be taken down and brought back.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../../src/domain/indicators.ts';
import type { Signal } from '../../../src/domain/signal.ts';
import type { SinkEvent } from '../../../src/signals/sinks/sink.ts';

export function makeSignal(i: number, over: Partial<Signal> = {}): Signal {
  const indicators = Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, 1])) as IndicatorValues;
  const direction = over.predicted_direction ?? (i % 2 === 0 ? 'BUY' : 'SELL');
  const entry = 0.0123 + i * 1e-6;
  return {
    id: `sig-${i}`,
    symbol: 'LTC/BTC',
    timeframe: '5m',
    candle_time: new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString(),
    model_version: 'v20240101-000000',
    predicted_direction: direction,
    confidence_score: 0.7,
    probabilities: { BUY: direction === 'BUY' ? 0.7 : 0.1, SELL: direction === 'SELL' ? 0.7 : 0.1, HOLD: 0.2 },
    recommendation: direction === 'HOLD' ? 'HOLD' : direction,
    signal_weight: 1,
    position_multiplier: 1,
    entry_price: entry,
    stop_loss: direction === 'BUY' ? entry * 0.99 : entry * 1.01,
    take_profit: direction === 'BUY' ? entry * 1.02 : entry * 0.98,
    risk_score: 0.3,
    technical_indicators: { ...indicators, atr_value: entry * 0.005 },
    created_at: new Date(Date.UTC(2024, 0, 1) + i * 300_000 + 1000).toISOString(),
    ...over,
  };
}

export const signalEvent = (s: Signal): SinkEvent => ({ type: 'signal', id: s.id, data: s });

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** Date.now() when the request had been read. */
  at: number;
}

export function validSignature(secret: string, r: Received): boolean {
  const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
  const got = Buffer.from(String(r.headers['x-signalbase-signature'] ?? ''));
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** An HTTP receiver on 127.0.0.1; `answer` decides each response (default 200). */
export class Receiver {
  readonly requests: Received[] = [];
  answer: (r: Received, res: ServerResponse) => void = (_r, res) => res.writeHead(200).end('ok');
  private server: Server | null = null;
  port = 0;

  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.requests.push(r);
        this.answer(r, res);
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
