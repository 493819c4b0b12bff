/**
 * CANDLE_RETENTION_DAYS: once an hour, stored candles older than the retention behind the newest
 * candle the pipeline has processed are pruned. Data time, not wall time, so replaying 2018 data
 * does not delete what it just stored.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

/** Starts the hourly pruning; returns the function that stops it. A retention of 0 keeps everything. */
export function startCandleRetention(store: Pick<Store, 'pruneCandles'>, keepMs: number, newest: () => number, log: Logger, everyMs = 3_600_000): () => void {
  if (!(keepMs > 0)) return () => undefined;
  const timer = setInterval(() => {
    const latest = newest();
    if (!Number.isFinite(latest)) return;
    store
      .pruneCandles(latest - keepMs)
      .then((n) => {
        if (n > 0) log.info({ pruned: n, before: new Date(latest - keepMs).toISOString() }, `pruned ${n} stored candles older than the retention`);
      })
      .catch((err: unknown) => log.warn({ err }, 'candle retention failed; trying again in an hour'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
