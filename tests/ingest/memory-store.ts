/**
 * The three candle methods of the Store port over a Map, with the port's documented semantics
 * (upsert idempotent on (symbol, timeframe, open_time); latest-n read returned oldest first).
 * Stand-in until src/store/index.ts exports openStore; then these tests should use the embedded store.
 */
import type { Candle } from '../../src/ingest/candle.ts';
import type { CandleHistoryStore } from '../../src/ingest/history.ts';
import type { CandleRangeQuery } from '../../src/store/store.ts';

export class MemoryCandleStore implements CandleHistoryStore {
  readonly rows = new Map<string, Candle>();
  upserts = 0;
  failNext = 0;

  async upsertCandles(candles: readonly Candle[]): Promise<number> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('store unavailable');
    }
    this.upserts += 1;
    for (const c of candles) this.rows.set(`${c.symbol}|${c.timeframe}|${c.openTime}`, { ...c });
    return candles.length;
  }

  async readCandles(q: CandleRangeQuery): Promise<Candle[]> {
    const all = [...this.rows.values()]
      .filter((c) => c.symbol === q.symbol && c.timeframe === q.timeframe && (q.from === undefined || c.openTime >= q.from) && (q.to === undefined || c.openTime <= q.to))
      .sort((a, b) => a.openTime - b.openTime);
    if (q.limit === undefined) return all;
    return q.latest ? all.slice(Math.max(0, all.length - q.limit)) : all.slice(0, q.limit);
  }

  async pruneCandles(olderThan: number): Promise<number> {
    let n = 0;
    for (const [k, c] of this.rows) {
      if (c.openTime < olderThan) {
        this.rows.delete(k);
        n++;
      }
    }
    return n;
  }

  series(symbol: string): Candle[] {
    return [...this.rows.values()].filter((c) => c.symbol === symbol).sort((a, b) => a.openTime - b.openTime);
  }
}
