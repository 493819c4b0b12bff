/**
 * Start-up from stored state, so a restart continues where the last run stopped:
 *
 * - warmEngine: each series' newest stored candles go through the engine's features only (no
 *   signal). WARMUP_HISTORY is far more than the 50 candles the indicators need plus the T = 60 rows
 *   of a model window, because the exponential averages forget their seed only gradually: the
 *   slowest is the EMA(200) baseline of the volatility regime, whose seed weighs (199/201)^3000 ≈ 1e-13
 *   after 3,000 candles (EMA(50): ~1e-52, Wilder(14): ~1e-97), so a warmed engine and one that
 *   never stopped agree to double precision. The engine also learns each series' last candle, so a
 *   replay that starts from its beginning again only produces signals for candles it has not seen.
 * - restoreOpenSignals: signals without an outcome (store.openPredictions) go back into the outcome
 *   tracker and are walked over the candles stored after them.
 */
import type { Candle } from '../domain/candle.ts';
import type { SeriesInfo } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import type { RestoreResult } from '../signals/tracker.ts';
import type { OutcomeTracker } from '../signals/tracker.ts';
import type { Store } from '../store/store.ts';

export const WARMUP_HISTORY = 3_000;

export interface WarmupResult {
  candles: number;
  series: number;
}

export async function warmEngine(
  engine: { warmup(candles: readonly Candle[]): number },
  store: Pick<Store, 'readCandles'>,
  series: readonly SeriesInfo[],
  limit = WARMUP_HISTORY,
): Promise<WarmupResult> {
  let candles = 0;
  let warmed = 0;
  for (const s of series) {
    const stored = await store.readCandles({ symbol: s.symbol, timeframe: s.timeframe, latest: true, limit });
    if (stored.length === 0) continue;
    candles += engine.warmup(stored);
    warmed++;
  }
  return { candles, series: warmed };
}

export async function restoreOpenSignals(
  tracker: OutcomeTracker,
  store: Pick<Store, 'openPredictions' | 'readCandles'>,
  series: readonly SeriesInfo[],
  log: Logger,
): Promise<RestoreResult> {
  const mine = new Set(series.map((s) => `${s.symbol}|${s.timeframe}`));
  // Another shard's (or another feed's) signals are resolved by whoever receives their candles.
  const open = (await store.openPredictions()).filter((p) => mine.has(`${p.symbol}|${p.timeframe}`));
  const result = await tracker.restore(open, (symbol, timeframe, from) => store.readCandles({ symbol, timeframe, from }));
  if (result.restored > 0 || result.resolved.length > 0) {
    log.info({ restored: result.restored, resolved: result.resolved.length, failed: result.failed.length }, `took back ${result.restored} open signal(s) from the store; ${result.resolved.length} resolved on stored candles`);
  }
  return result;
}
