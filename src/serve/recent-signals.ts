/**
 * The newest N stored signals, through the Store port as it is (readPredictions reads forward in
 * stream order from a cursor or an instant; it has no "newest first"). Signals come one per candle
 * per symbol and model, so the newest N lie within the last few candle steps before the newest
 * stored candle: read forward from there, and widen the window (×4) until it holds N signals or
 * reaches back past the first stored candle. Typically one or two reads of about N rows.
 */
import { cursorOf, type PredictionRecord } from '../domain/prediction.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import type { Store } from '../store/store.ts';

export type RecentSignalsStore = Pick<Store, 'readPredictions' | 'listCandleSeries'>;

const PAGE = 1000;
/** Bound on the rows one window may read (a window holding more keeps only its last `limit`). */
const MAX_ROWS_READ = 50_000;
const MAX_WIDENINGS = 12;

/** Every stored signal with candle_time > `afterTime` (or all), for `symbols` (or all), in stream order, bounded. */
async function readForward(store: RecentSignalsStore, afterTime: number | undefined, symbols: string[] | undefined, keep: number): Promise<PredictionRecord[]> {
  let out: PredictionRecord[] = [];
  let read = 0;
  for (;;) {
    const last = out.at(-1);
    const page = await store.readPredictions({
      limit: PAGE,
      ...(symbols ? { symbols } : {}),
      ...(last ? { after: cursorOf(last) } : afterTime !== undefined ? { afterTime } : {}),
    });
    read += page.length;
    out.push(...page);
    if (out.length > keep) out = out.slice(-keep);
    if (page.length < PAGE || read >= MAX_ROWS_READ) return out;
  }
}

export async function newestSignals(store: RecentSignalsStore, q: { limit: number; symbols?: string[] }): Promise<PredictionRecord[]> {
  const wanted = (await store.listCandleSeries()).filter((s) => !q.symbols || q.symbols.includes(s.symbol));
  if (wanted.length === 0) return readForward(store, undefined, q.symbols, q.limit);
  const newest = Math.max(...wanted.map((s) => s.lastOpenTime));
  const oldest = Math.min(...wanted.map((s) => s.firstOpenTime));
  const step = Math.max(...wanted.map((s) => timeframeMs(s.timeframe as Timeframe)));
  let span = step * (Math.ceil(q.limit / wanted.length) + 1);
  for (let i = 0; ; i++) {
    const from = newest - span;
    const all = from < oldest || i >= MAX_WIDENINGS;
    const rows = await readForward(store, all ? undefined : from, q.symbols, q.limit);
    if (rows.length >= q.limit || all) return rows;
    span *= 4;
  }
}
