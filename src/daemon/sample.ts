/**
 * `npm start` with nothing configured: the bundled sample of real Binance candles (data/sample/)
 * becomes a live-looking demo.
 *
 * - The bulk of each file (all but the last `tail` candles) is history: on the first start it is
 *   written straight into ml_candles in large batches (no signals: nothing happened "now"), so the
 *   engine warms up from the store like after any restart and a first model can train on it.
 *   On later starts the history is already stored and the import is skipped.
 * - The last `tail` candles are replayed at a demo speed (300x: one 5m candle a second), so rule
 *   signals flow within seconds of start.
 * - A restart resumes the tail after the newest stored candle of each series (the engine would skip
 *   candles it already saw anyway), so a second start after a complete demo has nothing new to show
 *   and says so at once instead of pacing through old candles.
 */
import type { Candle } from '../domain/candle.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import { readReplayFile, replayFileInfo } from '../ingest/replay-file.ts';
import { ReplaySource } from '../ingest/replay.ts';
import { RejectionReporter } from '../ingest/rejections.ts';
import { parseFeedSpec, DEFAULT_FEED_SPEC } from '../ingest/feed-spec.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

/** 300x: a 5m candle every second. */
export const DEMO_SPEED = 300;
/** Candles per series kept back from the import and replayed as the "live" part of the demo. */
export const DEMO_TAIL = 600;
/** Candles per upsert while importing history. */
const IMPORT_CHUNK = 2_000;

export interface SampleOptions {
  /** Replay speed of the tail (0: as fast as possible, as under --once). */
  speed: number;
  /** Candles per series to replay rather than import. */
  tail: number;
  /** Only these symbols (SYMBOLS / --symbols, and the shard's). */
  owns: (symbol: string) => boolean;
  timeframe?: Timeframe;
  log: Logger;
}

export interface SamplePlan {
  source: ReplaySource;
  /** Candles written to ml_candles by this start (0 on later starts). */
  imported: number;
  /** Candles stored as history in total (imported now or earlier). */
  history: number;
  /** Candles the replay will deliver (fewer than tail × series when resuming an earlier demo). */
  replay: number;
  symbols: string[];
  timeframe: Timeframe;
}

/** "one candle per second", "3 candles per second", "one candle every 2 seconds". */
export function describePace(timeframe: Timeframe, speed: number): string {
  if (speed <= 0) return 'as fast as possible';
  const seconds = timeframeMs(timeframe) / speed / 1000;
  if (Math.abs(seconds - 1) < 1e-9) return 'one candle per second';
  if (seconds < 1) return `${Math.round(1 / seconds)} candles per second`;
  return `one candle every ${Number(seconds.toFixed(1))} seconds`;
}

export async function prepareSample(store: Pick<Store, 'listCandleSeries' | 'upsertCandles'>, opts: SampleOptions): Promise<SamplePlan> {
  const log = opts.log.child({ module: 'sample' });
  const spec = parseFeedSpec(DEFAULT_FEED_SPEC);
  if (spec.kind !== 'replay') throw new RangeError('the bundled sample must be a replay feed');
  const infos = spec.paths
    .map((p) => replayFileInfo(p))
    .filter((i) => opts.owns(i.symbol) && (!opts.timeframe || i.timeframe === opts.timeframe));
  const reporter = new RejectionReporter(log);
  const files = await Promise.all(infos.map((i) => readReplayFile(i.path, { reporter, log })));
  reporter.flush();

  const stored = new Map((await store.listCandleSeries()).map((s) => [`${s.symbol}|${s.timeframe}`, s]));
  const tails: Candle[][] = [];
  let imported = 0;
  let history = 0;
  for (let k = 0; k < infos.length; k++) {
    const candles = files[k]!;
    const split = Math.max(0, candles.length - opts.tail);
    const bulk = candles.slice(0, split);
    const seen = stored.get(`${infos[k]!.symbol}|${infos[k]!.timeframe}`);
    // Tail candles an earlier run already processed would produce nothing: the demo resumes after them.
    const lastSeen = seen?.lastOpenTime ?? Number.NEGATIVE_INFINITY;
    tails.push(candles.slice(split).filter((c) => c.openTime > lastSeen));
    history += bulk.length;
    if ((seen?.count ?? 0) >= bulk.length) continue;
    if (imported === 0) log.info(`first start: storing the bundled sample's history (${infos.length} symbols) so indicators and a first model have data`);
    for (let i = 0; i < bulk.length; i += IMPORT_CHUNK) await store.upsertCandles(bulk.slice(i, i + IMPORT_CHUNK));
    imported += bulk.length;
  }
  if (imported > 0) log.info({ candles: imported }, `stored ${imported.toLocaleString('en-US')} historical candles`);

  const source = new ReplaySource(
    infos.map((i) => ({ symbol: i.symbol, timeframe: i.timeframe })),
    tails,
    { speed: opts.speed, log: opts.log.child({ module: 'replay' }) },
  );
  return {
    source,
    imported,
    history,
    replay: source.candleCount,
    symbols: [...source.symbols],
    timeframe: source.timeframe,
  };
}
