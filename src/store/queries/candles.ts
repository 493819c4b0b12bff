/** ml_candles: upserted in one statement per batch, read back oldest first. */
import type { Candle } from '../../domain/candle.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import type { CandleRangeQuery } from '../store.ts';
import type { CandleSeriesInfo } from '../types.ts';
import { dedupeBy, toMs, tsFromMs, type Ctx, type RpcCtx } from './common.ts';

export interface CandleRow {
  symbol: string;
  timeframe: string;
  open_time: Date | string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

export const toCandle = (r: CandleRow): Candle => ({
  symbol: r.symbol,
  timeframe: r.timeframe as Timeframe,
  openTime: toMs(r.open_time),
  open: r.open,
  high: r.high,
  low: r.low,
  close: r.close,
  volume: r.volume,
});

/**
 * Inserts new candles and corrects stored ones whose values differ (an exchange backfill wins);
 * returns how many rows were inserted or changed, so a replayed batch returns 0.
 */
export async function upsertCandles({ rpc }: RpcCtx, candles: readonly Candle[]): Promise<number> {
  if (candles.length === 0) return 0;
  const rows = dedupeBy(candles, candleKey).map((c) => ({
    symbol: c.symbol,
    timeframe: c.timeframe,
    open_ms: c.openTime,
    open: c.open,
    high: c.high,
    low: c.low,
    close: c.close,
    volume: c.volume,
  }));
  return rpc.value<number>('sb_upsert_candles', { p_rows: rows });
}

/** A candle's natural key. */
export const candleKey = (c: Candle): string => `${c.symbol}|${c.timeframe}|${c.openTime}`;

export async function readCandles({ db, n }: Ctx, q: CandleRangeQuery): Promise<Candle[]> {
  const params: unknown[] = [q.symbol, q.timeframe];
  const where = ['symbol = $1', 'timeframe = $2'];
  if (q.from !== undefined) {
    params.push(q.from);
    where.push(`open_time >= ${tsFromMs(`$${params.length}`)}`);
  }
  if (q.to !== undefined) {
    params.push(q.to);
    where.push(`open_time <= ${tsFromMs(`$${params.length}`)}`);
  }
  let limit = '';
  if (q.limit !== undefined) {
    params.push(Math.max(0, Math.floor(q.limit)));
    limit = `LIMIT $${params.length}`;
  }
  const order = q.latest ? 'DESC' : 'ASC';
  const { rows } = await db.query<CandleRow>(
    `SELECT symbol, timeframe, open_time, open, high, low, close, volume FROM ${n.candles}
     WHERE ${where.join(' AND ')} ORDER BY open_time ${order} ${limit}`,
    params,
  );
  const candles = rows.map(toCandle);
  return q.latest ? candles.reverse() : candles;
}

export async function listCandleSeries({ rpc }: RpcCtx): Promise<CandleSeriesInfo[]> {
  const rows = await rpc.rows<{ symbol: string; timeframe: string; count: number; first: unknown; last: unknown }>('sb_list_candle_series');
  return rows.map((r) => ({
    symbol: r.symbol,
    timeframe: r.timeframe as Timeframe,
    count: Number(r.count),
    firstOpenTime: toMs(r.first),
    lastOpenTime: toMs(r.last),
  }));
}

export async function pruneCandles({ rpc }: RpcCtx, olderThan: number): Promise<number> {
  return rpc.value<number>('sb_prune_candles', { p_before_ms: olderThan });
}
