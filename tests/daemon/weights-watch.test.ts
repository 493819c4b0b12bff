/**
 * Live weights (src/daemon/weights-watch.ts): an analyst's UPDATE of one row of
 * ml_indicator_weights, in a real embedded store, changes the rule consensus of the very next
 * tick of a running engine, with no restart; a twin engine that did not poll keeps the old figure.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { weightsFromRecords, type IndicatorWeights } from '../../src/features/weights.ts';
import { mergeTicks } from '../../src/ingest/merge.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { WeightsWatcher } from '../../src/daemon/weights-watch.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore, silentLogger } from '../helpers/pg.ts';

const SAMPLE = new URL('../../data/sample/', import.meta.url).pathname;
const log = silentLogger();
const barrier = { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 };
const clock = { now: () => Date.UTC(2026, 0, 1) };
const scoreOf = (out: Awaited<ReturnType<SignalEngine['process']>>) => out[0]!.signals[0]!.marketConditions?.consensus_score as number;

describe('weights reload', () => {
  let store: SqlStore;
  let ticks: CandleBatch[];

  beforeAll(async () => {
    store = await memoryStore();
    const series = await readReplayFile(`${SAMPLE}LTC_BTC-5m.json`, { log });
    ticks = [...mergeTicks([series.slice(0, 120)])].map((t) => ({ closeTime: t.closeTime, candles: t.candles, backfill: false }));
  });
  afterAll(() => store?.close());

  it('an edit to one stored weight changes the next tick consensus, without a restart', async () => {
    const start = weightsFromRecords(await store.getWeights());
    const engine = new SignalEngine({ barrier, weights: start, clock, log, windowSize: 12 });
    const twin = new SignalEngine({ barrier, weights: start, clock, log, windowSize: 12 });
    let inUse: IndicatorWeights = start;
    const applied: string[][] = [];
    const watcher = new WeightsWatcher({
      store,
      current: () => inUse,
      apply: (w, changed) => {
        inUse = w;
        engine.setWeights(w);
        applied.push(Object.keys(changed));
      },
      log,
      everyMs: 0,
    });
    const warm = ticks.slice(0, -1);
    const next = ticks.slice(-1);
    await engine.process(warm);
    await twin.process(warm);
    expect(await watcher.poll()).toBe(false); // nothing changed yet

    // The twin runs the next tick on the start weights; pick a column whose weight matters on it.
    const before = scoreOf(await twin.process(next));
    const state = twin.series('LTC/BTC')!;
    const column = INDICATOR_COLUMNS.find((c) => state.consensus({ ...start, [c]: 2 })!.score !== before);
    expect(column).toBeDefined();

    await store.setWeights({ [column!]: 2 }); // what an analyst's UPDATE or a training writes
    expect(await watcher.poll()).toBe(true);
    expect(applied).toEqual([[column]]);
    const after = scoreOf(await engine.process(next));
    expect(after).not.toBe(before);
    expect(after).toBe(state.consensus({ ...start, [column!]: 2 })!.score);
    expect(await watcher.poll()).toBe(false); // applied once
    await engine.stop();
    await twin.stop();
  });
});
