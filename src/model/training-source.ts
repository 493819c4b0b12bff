/**
 * Which stored candles a training reads: every series of one timeframe in ml_candles (optionally
 * only some symbols), oldest first, in symbol order so the same store always gives the same set.
 * The timeframe is the one asked for, else the one with the most stored candles.
 */
import type { Timeframe } from '../domain/timeframe.ts';
import type { Store } from '../store/store.ts';
import { DatasetError } from './errors.ts';
import type { SeriesCandles } from './training-set.ts';

export interface SeriesSelection {
  symbols?: readonly string[];
  timeframe?: Timeframe;
}

export async function readTrainingSeries(store: Store, sel: SeriesSelection = {}): Promise<SeriesCandles[]> {
  const all = await store.listCandleSeries();
  const wanted = sel.symbols ? new Set(sel.symbols) : null;
  const candidates = all.filter((s) => !wanted || wanted.has(s.symbol));
  if (candidates.length === 0) {
    throw new DatasetError(
      'DATASET_TOO_SMALL',
      `too little history to train: the store holds no candles${wanted ? ` for ${[...wanted].join(', ')}` : ''}; ` +
        'replay or backfill candles first (signalbase train --feed replay:PATH)',
      { series: 0 },
    );
  }
  let timeframe = sel.timeframe;
  if (!timeframe) {
    const totals = new Map<Timeframe, number>();
    for (const s of candidates) totals.set(s.timeframe, (totals.get(s.timeframe) ?? 0) + s.count);
    timeframe = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]![0];
  }
  const chosen = candidates.filter((s) => s.timeframe === timeframe).sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  if (chosen.length === 0) {
    throw new DatasetError('DATASET_TOO_SMALL', `too little history to train: no stored candles of timeframe ${timeframe}`, { timeframe });
  }
  const out: SeriesCandles[] = [];
  for (const s of chosen) {
    out.push({ symbol: s.symbol, timeframe: s.timeframe, candles: await store.readCandles({ symbol: s.symbol, timeframe: s.timeframe }) });
  }
  return out;
}
