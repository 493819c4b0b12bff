/** ml_candles: upserted in one statement per batch, read back oldest first. */
import type { Candle } from '../../ingest/candle.ts';
import type { Timeframe } from '../../ingest/timeframe.ts';
import type { CandleRangeQuery } from '../store.ts';
import type { CandleSeriesInfo } from '../types.ts';
import { dedupeBy, toMs, tsFromMs, type Ctx } from './common.ts';

interface CandleRow {
  symbol: string;
  timeframe: string;
  open_time: Date;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

const toCandle = (r: CandleRow): Candle => ({
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
export async function upsertCandles({ db, n }: Ctx, candles: readonly Candle[]): Promise<number> {
  if (candles.length === 0) return 0;
  const rows = dedupeBy(candles, (c) => `${c.symbol}|${c.timeframe}|${c.openTime}`);
  const { rowCount } = await db.query(
    `INSERT INTO ${n.candles} AS c (symbol, timeframe, open_time, open, high, low, close, volume)
     SELECT u.symbol, u.timeframe, ${tsFromMs('u.ms')}, u.o, u.h, u.l, u.c, u.v
     FROM unnest($1::text[], $2::text[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::float8[])
       AS u(symbol, timeframe, ms, o, h, l, c, v)
     ON CONFLICT (symbol, timeframe, open_time) DO UPDATE
       SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume
       WHERE (c.open, c.high, c.low, c.close, c.volume)
         IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)`,
    [
      rows.map((c) => c.symbol),
      rows.map((c) => c.timeframe),
      rows.map((c) => c.openTime),
      rows.map((c) => c.open),
      rows.map((c) => c.high),
      rows.map((c) => c.low),
      rows.map((c) => c.close),
      rows.map((c) => c.volume),
    ],
  );
  return rowCount;
}

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

export async function listCandleSeries({ db, n }: Ctx): Promise<CandleSeriesInfo[]> {
  const { rows } = await db.query<{ symbol: string; timeframe: string; count: number; first: Date; last: Date }>(
    `SELECT symbol, timeframe, count(*)::integer AS count, min(open_time) AS first, max(open_time) AS last
     FROM ${n.candles} GROUP BY symbol, timeframe ORDER BY symbol, timeframe`,
  );
  return rows.map((r) => ({
    symbol: r.symbol,
    timeframe: r.timeframe as Timeframe,
    count: r.count,
    firstOpenTime: toMs(r.first),
    lastOpenTime: toMs(r.last),
  }));
}

export async function pruneCandles({ db, n }: Ctx, olderThan: number): Promise<number> {
  const { rowCount } = await db.query(`DELETE FROM ${n.candles} WHERE open_time < ${tsFromMs('$1')}`, [olderThan]);
  return rowCount;
}
