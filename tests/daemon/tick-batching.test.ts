/**
 * The tick loop batches a fast feed's ticks across time: a synthetic source at speed 0 pushes ticks
 * as fast as the sink takes them, and the engine must receive them K at a time, not one per call
 * (before the loop waited one event-loop turn for the queue to fill, every replay predicted one
 * tick per call: ~200x more predict calls on the bundled sample). A live loop (K = 1) still hands
 * over every tick on its own. Every tick is processed exactly once, in order, either way.
 */
import { describe, expect, it } from 'vitest';
import { TickLoop, type TickEngine } from '../../src/daemon/tick-loop.ts';
import type { CandleBatch } from '../../src/ingest/source.ts';
import { SyntheticSource, SYNTHETIC_DEFAULTS } from '../../src/ingest/synthetic.ts';
import { createLogger } from '../../src/log.ts';
import type { OutboxWriter } from '../../src/store/outbox/index.ts';

const log = createLogger({ level: 'silent', pretty: false });
const TICKS = 600;

async function run(maxTicksPerBatch: number): Promise<{ calls: number[]; closeTimes: number[]; stored: number }> {
  const calls: number[] = [];
  const closeTimes: number[] = [];
  const engine: TickEngine = {
    async process(batches: readonly CandleBatch[]) {
      calls.push(batches.length);
      await Promise.resolve(); // settles in microtasks, as the wasm backend's predict does
      return batches.map((b) => {
        closeTimes.push(b.closeTime);
        return { closeTime: b.closeTime, candles: b.candles, signals: [], resolved: [] };
      });
    },
  };
  let stored = 0;
  const writer: OutboxWriter = {
    insertPredictions: () => undefined,
    resolvePredictions: () => undefined,
    insertTrainingSamples: () => undefined,
    upsertCandles: (rows) => void (stored += rows.length),
    insertGenerationLog: () => undefined,
    writeGroup: (parts) => {
      for (const [op, rows] of parts) if (op === 'upsertCandles') stored += rows.length;
    },
  };
  let fatal: unknown;
  const loop = new TickLoop({ engine, sinks: { publish: () => undefined }, writer, log, maxTicksPerBatch, onFatal: (e) => (fatal = e) });
  const source = new SyntheticSource({ ...SYNTHETIC_DEFAULTS, symbols: 2, candles: TICKS }, { speed: 0, log });
  loop.start();
  await source.start(loop.sink);
  await source.finished;
  await loop.idle();
  await loop.stop();
  expect(fatal).toBeUndefined();
  return { calls, closeTimes, stored };
}

describe('tick loop batching', () => {
  it('hands a fast feed to the engine K ticks at a time, each tick once and in order', async () => {
    const K = 64;
    const { calls, closeTimes, stored } = await run(K);
    const tf = 5 * 60_000;
    expect(closeTimes).toEqual(Array.from({ length: TICKS }, (_, i) => SYNTHETIC_DEFAULTS.start + (i + 1) * tf));
    expect(stored).toBe(2 * TICKS);
    expect(Math.max(...calls)).toBeLessThanOrEqual(K);
    // ceil(600 / 64) = 10 full calls at best; allow a few partial ones at the source's own yields.
    expect(calls.length).toBeLessThanOrEqual(20);
  });

  it('hands a live loop (K = 1) every tick on its own', async () => {
    const { calls, closeTimes } = await run(1);
    expect(calls.every((n) => n === 1)).toBe(true);
    expect(closeTimes).toHaveLength(TICKS);
  });
});
