/** Shared setup of the Binance feed tests: ground truth from real candles, fast timings, a recording sink. */
import pino from 'pino';
import { expect, vi } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import type { BinanceOptions } from '../../src/ingest/binance/source.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import type { FakeExchange } from '../helpers/fake-exchange.ts';
import { sampleRows } from './sample.ts';

export const log = pino({ level: 'silent' });
/** Generous: the machine is shared, and a wait only costs time when something is wrong. */
export const WAIT = { timeout: 20_000, interval: 5 };
export const SYMBOLS = ['LTC/BTC', 'XLM/BTC', 'DASH/BTC', 'ZEC/BTC'];

export function groundTruth(n: number, symbols = SYMBOLS): Record<string, Candle[]> {
  return Object.fromEntries(
    symbols.map((symbol) => [
      symbol,
      sampleRows(`${symbol.replace('/', '_')}-5m.json`)
        .slice(0, n)
        .map(([openTime, open, high, low, close, volume]) => ({ symbol, timeframe: '5m' as const, openTime, open, high, low, close, volume })),
    ]),
  );
}

/** Short timings so faults resolve in milliseconds. */
export function fastOptions(ex: FakeExchange, extra: Partial<BinanceOptions> = {}): BinanceOptions {
  return {
    wsBase: ex.wsBase,
    symbols: SYMBOLS,
    timeframe: '5m',
    clock: ex.clock,
    log,
    backoff: { steps: [5, 10, 20, 40], jitter: 0.5 },
    heartbeatMs: 100,
    connectTimeoutMs: 2_000,
    subscribeTimeoutMs: 2_000,
    lingerMs: 20,
    // The fake's clock is exact; with no tolerance a resync fetches up to the candle that just closed.
    futureToleranceMs: 0,
    ...extra,
  };
}

export class Received {
  readonly bySymbol = new Map<string, Candle[]>();
  readonly batches: CandleBatch[] = [];
  sink = (b: CandleBatch): void => {
    this.batches.push(b);
    for (const c of b.candles) this.bySymbol.set(c.symbol, [...(this.bySymbol.get(c.symbol) ?? []), c]);
  };
  last(symbol: string): number | undefined {
    return this.bySymbol.get(symbol)?.at(-1)?.openTime;
  }
  /** Waits until every symbol has candle `openTime`. */
  async upTo(openTime: number, symbols = SYMBOLS): Promise<void> {
    await vi.waitFor(() => expect(symbols.map((s) => this.last(s))).toEqual(symbols.map(() => openTime)), WAIT);
  }
}

