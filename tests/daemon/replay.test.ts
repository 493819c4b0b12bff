/**
 * `signalbase run --once` as a child process on a small real replay (the first 300 candles of
 * LTC/BTC and XLM/BTC 5m from the bundled sample) and a real embedded store:
 *  - it exits 0 and the store holds exactly one prediction per (symbol, candle) once the
 *    indicators are warm, and every candle;
 *  - a second daemon killed with SIGKILL mid-replay and restarted ends with the same stored
 *    predictions as the uninterrupted run (same ids, directions, numbers).
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEMO_TAIL } from '../../src/daemon/sample.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { SAMPLE_DATA_DIR } from '../../src/ingest/feed-spec.ts';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import { predictionId } from '../../src/signals/prediction-id.ts';
import { dataDirFrom, expectSamePrediction, freePort, metricValue, migratedTemplate, openStoreAt, removeDir, replayDir, spawnDaemon, storedState } from './helpers.ts';

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 300;
// The engine signals from the candle on which all 17 indicators have a value: the 50th
// (IndicatorSet.WARMUP_CANDLES, EMA(50)'s first value), so N - 49 signals per series.
const PER_SERIES = N - (IndicatorSet.WARMUP_CANDLES - 1);

let template: string;
let feed: string;
const dirs: string[] = [];
let reference: Awaited<ReturnType<typeof storedState>>;

beforeAll(async () => {
  template = await migratedTemplate();
  feed = replayDir(FILES, N);
  dirs.push(template, feed);
  const data = dataDirFrom(template);
  dirs.push(data);
  const run = spawnDaemon(['--once', '--feed', `replay:${feed}`], { SIGNALBASE_DATA_DIR: data, PORT: '0' });
  const code = await run.exited;
  if (code !== 0) throw new Error(`reference run exited ${code}:\n${run.stderr().slice(-3000)}`);
  reference = await storedState(data);
}, 240_000);

afterAll(() => {
  for (const d of dirs) removeDir(d);
});

describe('signalbase run --once', () => {
  it('stores one prediction per symbol and candle after warm-up, and every candle', async () => {
    expect(reference.candles).toBe(FILES.length * N);
    expect(reference.predictions).toHaveLength(FILES.length * PER_SERIES);
    const log = createLogger({ level: 'silent', pretty: false });
    for (const f of FILES) {
      const candles = await readReplayFile(`${feed}/${f}`, { log });
      const symbol = candles[0]!.symbol;
      const mine = reference.predictions.filter((p) => p.symbol === symbol);
      // Exactly the candles from the 50th on, each once, with the deterministic id of its key.
      expect(mine.map((p) => p.candleTime)).toEqual(candles.slice(N - PER_SERIES).map((c) => c.openTime));
      for (const p of mine) {
        expect(p.id).toBe(predictionId(p.symbol, p.timeframe, p.candleTime, 'rules'));
        expect(p.predictionType).toBe('SIGNAL');
      }
    }
  });

  it('after kill -9 mid-replay and a restart, stores the same predictions as an uninterrupted run', async () => {
    const data = dataDirFrom(template);
    dirs.push(data);
    const port = await freePort();
    // Paced (5 m candles 9,000x faster: ~33 ms a tick) so the kill lands mid-replay.
    const first = spawnDaemon(['--feed', `replay:${feed}?speed=9000`], { SIGNALBASE_DATA_DIR: data, PORT: String(port) });
    await vi.waitFor(
      async () => {
        expect(await metricValue(port, 'ticks_total')).toBeGreaterThanOrEqual(150);
      },
      { timeout: 180_000, interval: 100 },
    );
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // The store a kill -9 left behind opens (the embedded store recovers from its WAL) and was left
    // mid-replay: some predictions stored, not all (else the kill proved nothing).
    const killedAt = await storedState(data);
    expect(killedAt.predictions.length).toBeGreaterThan(0);
    expect(killedAt.predictions.length).toBeLessThan(reference.predictions.length);

    const again = spawnDaemon(['--once', '--feed', `replay:${feed}`], { SIGNALBASE_DATA_DIR: data, PORT: '0' });
    const code = await again.exited;
    if (code !== 0) throw new Error(`restart exited ${code}:\n${again.stderr().slice(-3000)}`);
    const after = await storedState(data);
    expect(after.candles).toBe(reference.candles);
    expect(after.predictions.map((p) => p.id)).toEqual(reference.predictions.map((p) => p.id));
    expect(after.predictions.map((p) => p.predictedDirection)).toEqual(reference.predictions.map((p) => p.predictedDirection));
    after.predictions.forEach((p, i) => expectSamePrediction(p, reference.predictions[i]!));
  }, 300_000);
});

describe('signalbase run with nothing configured (the bundled sample), under --once', () => {
  it('stores the sample as history, signals only on the replayed tail, and replays nothing twice', async () => {
    const data = dataDirFrom(template);
    dirs.push(data);
    const first = spawnDaemon(['--once'], { SIGNALBASE_DATA_DIR: data, PORT: '0' });
    const code = await first.exited;
    if (code !== 0) throw new Error(`sample run exited ${code}:\n${first.stderr().slice(-3000)}`);
    const log = createLogger({ level: 'silent', pretty: false });
    const files = ['DASH_BTC-5m.json', 'LTC_BTC-5m.json', 'XLM_BTC-5m.json', 'ZEC_BTC-5m.json'];
    const sample = await Promise.all(files.map((f) => readReplayFile(`${SAMPLE_DATA_DIR}${f}`, { log })));
    const state = await storedState(data);
    // Every candle of the four files (data/sample/README.md: 5760 + 5760 + 5758 + 5757).
    expect(state.candles).toBe(sample.reduce((n, c) => n + c.length, 0));
    expect(state.series).toBe(4);
    // Warmed up from the imported history, each series signals on every one of its tail candles.
    for (const candles of sample) {
      const symbol = candles[0]!.symbol;
      expect(state.predictions.filter((p) => p.symbol === symbol).map((p) => p.candleTime)).toEqual(candles.slice(-DEMO_TAIL).map((c) => c.openTime));
    }
    const store = await openStoreAt(data);
    try {
      expect(await store.listModels()).toEqual([]); // --once never starts the demo's first training
    } finally {
      await store.close();
    }

    const second = spawnDaemon(['--once'], { SIGNALBASE_DATA_DIR: data, PORT: '0' });
    expect(await second.exited).toBe(0);
    const again = await storedState(data);
    expect(again.candles).toBe(state.candles);
    expect(again.predictions.map((p) => p.id)).toEqual(state.predictions.map((p) => p.id));
  }, 300_000);
});
