/**
 * Bench part "memory" (DESIGN.md "Bench"): heap growth per tracked symbol in steady state, on the
 * real daemon (src/daemon.ts) in this process with the bench's active model.
 *
 * Two daemons, one after the other, each on a copy of the bench template (every symbol warmed up
 * from stored candles): SMALL symbols, then SMALL + 5,000. Each replays a synthetic feed at speed 0
 * until it is in steady state (so the figure is measured at 5,000 symbols):
 *   - every symbol has more than a barrier horizon (24 candles) of live signals, so the outcome
 *     tracker holds its full set of open signals per symbol;
 *   - the stream's signal ring (10,000 signals, fixed size) is full in both runs;
 *   - the tick loop is idle and the outbox has written everything to the store (depth 0).
 * Then heapUsed after forced GCs (needs --expose-gc; `npm run bench` passes it), and
 *   bytes_per_symbol = (heap with SMALL + 5,000 symbols - heap with SMALL) / 5,000.
 * Standalone: `node --expose-gc --import tsx scripts/bench/memory.ts` prints the JSON object.
 */
import { pathToFileURL } from 'node:url';
import { DEFAULT_STREAM_OPTIONS } from '../../src/serve/stream-hub.ts';
import { benchDataDir, gc, metricSum, note, round, startBenchDaemon, syntheticFeed, until } from './daemon-helpers.ts';

const SMALL = 50;
const MORE = 5_000;
/** The stream ring's size: the bench daemons run with the default. */
const RING = DEFAULT_STREAM_OPTIONS.ringSize;
/** Barrier horizon (candles) plus margin: the tracker's open signals per symbol have reached their bound. */
const MIN_TICKS = 40;

export interface MemoryBench {
  bytes_per_symbol: number;
}

async function steadyHeap(symbols: number): Promise<number> {
  const ticks = Math.max(MIN_TICKS, Math.ceil((RING * 1.1) / symbols));
  const { dir } = await benchDataDir(`memory-${symbols}`);
  const before = await metricSum('ticks_total');
  const daemon = await startBenchDaemon(dir, { feed: syntheticFeed(symbols, ticks, 0) });
  try {
    await until(`${ticks} ticks of ${symbols} symbols`, async () => (await metricSum('ticks_total')) - before >= ticks, 600_000, 100);
    // At 5,050 symbols the store takes minutes to absorb 40 ticks (over 10 min on a busy machine).
    await until('the outbox to drain', async () => (await metricSum('outbox_depth')) === 0, 1_800_000, 100);
    gc();
    await new Promise((r) => setTimeout(r, 200));
    gc();
    const heap = process.memoryUsage().heapUsed;
    note('memory', `${symbols} symbols, ${ticks} ticks: heapUsed ${(heap / 2 ** 20).toFixed(1)} MiB`);
    return heap;
  } finally {
    await daemon.stop();
  }
}

export async function benchMemory(): Promise<MemoryBench> {
  const small = await steadyHeap(SMALL);
  const large = await steadyHeap(SMALL + MORE);
  return { bytes_per_symbol: round((large - small) / MORE, 0) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.write(`${JSON.stringify(await benchMemory())}\n`);
}
