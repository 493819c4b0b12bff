/**
 * A drift window rebuilt from the store, for `signalbase drift check` when no daemon holds the
 * window: the newest candles of each stored series through the same feature code the engine runs
 * (buildFeatureMatrix: indicators and transforms), the last DRIFT_WINDOW ready rows across series,
 * and the model's stored predictions and outcomes over the same stretch. HOLD correctness is not
 * stored, so offline outcomes judge trades only.
 */
import { INDICATOR_COLUMNS } from '../domain/indicators.ts';
import { buildFeatureMatrix } from '../features/matrix.ts';
import type { Store } from '../store/store.ts';
import type { PredictionSample, RecentVectors } from './check.ts';
import type { OutcomeSample } from './performance.ts';

const COLS = INDICATOR_COLUMNS.length;
/** Candles before the window that the indicators need to be warm (EMA(200) volatility baseline included). */
const WARMUP = 600;

export async function storedWindow(
  store: Pick<Store, 'listCandleSeries' | 'readCandles' | 'readPredictions'>,
  version: string,
  window: number,
): Promise<{ vectors: RecentVectors; predictions: PredictionSample[]; outcomes: OutcomeSample[] }> {
  const series = await store.listCandleSeries();
  const per = Math.max(1, Math.ceil(window / Math.max(1, series.length)));
  const rows: { time: number; series: number; values: Float32Array }[] = [];
  const ids = new Map<string, number>();
  for (const [i, s] of series.entries()) {
    ids.set(s.symbol, i);
    const candles = await store.readCandles({ symbol: s.symbol, timeframe: s.timeframe, latest: true, limit: per + WARMUP });
    const m = buildFeatureMatrix(candles, s.symbol);
    if (m.firstReady < 0) continue;
    for (let r = Math.max(m.firstReady, m.rows - per); r < m.rows; r++) rows.push({ time: m.openTimes[r]!, series: i, values: m.transformed.subarray(r * COLS, r * COLS + COLS) });
  }
  rows.sort((a, b) => a.time - b.time || a.series - b.series);
  const kept = rows.slice(-window);
  const vectors: RecentVectors = { rows: kept.length, values: new Float64Array(kept.length * COLS), series: Int32Array.from(kept, (r) => r.series) };
  kept.forEach((r, k) => vectors.values.set(r.values, k * COLS));

  const since = kept.length > 0 ? kept[0]!.time - 1 : 0;
  const predictions: PredictionSample[] = [];
  const outcomes: OutcomeSample[] = [];
  let after: Parameters<Store['readPredictions']>[0]['after'];
  for (;;) {
    const page = await store.readPredictions({ afterTime: since, after, limit: 1000 });
    for (const p of page) {
      if (p.modelVersion !== version) continue;
      predictions.push({ series: ids.get(p.symbol) ?? -1, direction: p.predictedDirection, confidence: p.confidenceScore });
      if (p.actualOutcome && p.predictedDirection !== 'HOLD' && p.actualProfitLoss !== null && p.actualProfitLoss !== undefined) {
        outcomes.push({ correct: p.actualProfitLoss > 0, trade: true, win: p.actualProfitLoss > 0 });
      }
    }
    if (page.length < 1000) break;
    const last = page[page.length - 1]!;
    after = { candleTime: last.candleTime, symbol: last.symbol, timeframe: last.timeframe, modelVersion: last.modelVersion, id: last.id };
  }
  return { vectors, predictions: predictions.slice(-window), outcomes: outcomes.slice(-window) };
}
