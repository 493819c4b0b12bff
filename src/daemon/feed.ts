/**
 * Choosing the daemon's feed: the user's FEED / --feed, or (nothing configured) the bundled sample
 * demo (sample.ts), narrowed to SYMBOLS / --symbols, TIMEFRAME / --timeframe and this SHARD's
 * symbols. A user-given feed never imports the sample.
 */
import type { Config } from '../config.ts';
import type { Clock } from '../domain/clock.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import { IndicatorSet } from '../features/indicator-set.ts';
import { DEFAULT_WINDOW } from '../features/symbol-state.ts';
import { credentialsFor } from '../ingest/feed-kind.ts';
import { feedKindOf } from '../ingest/feed-registry.ts';
import { createSource, parseFeedSpec } from '../ingest/feed-spec.ts';
import { replayFileInfo } from '../ingest/replay-file.ts';
import type { CandleSource, SeriesInfo } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { describePace, prepareSample, type SamplePlan } from './sample.ts';
import { describeShard, ownsSymbol } from './shard.ts';

export interface FeedRequest {
  feed: string | undefined;
  symbols: readonly string[] | undefined;
  timeframe: Timeframe | undefined;
  once: boolean;
  shard: Config['shard'];
  demoSpeed: number;
  demoTail: number;
  store: Pick<Store, 'listCandleSeries' | 'upsertCandles'>;
  log: Logger;
  clock?: Clock;
  credentials?: Config['feedCredentials'];
}

export interface FeedChoice {
  source: CandleSource;
  /** Set when the bundled sample runs as the demo. */
  sample: SamplePlan | null;
  /** Ticks arrive as fast as the engine takes them (replay or synthetic at speed 0). */
  fast: boolean;
  /** Speed of a replay or synthetic feed (0 = as fast as possible); null for live feeds. */
  speed: number | null;
}

export async function openFeed(r: FeedRequest): Promise<FeedChoice> {
  const wanted = (s: string) => ownsSymbol(r.shard, s) && (!r.symbols || r.symbols.includes(s));
  if (r.feed === undefined) {
    const sample = await prepareSample(r.store, {
      speed: r.once ? 0 : r.demoSpeed,
      tail: r.demoTail,
      owns: wanted,
      timeframe: r.timeframe,
      log: r.log,
    });
    const missing = (r.symbols ?? []).filter((s) => !sample.symbols.includes(s) && ownsSymbol(r.shard, s));
    if (missing.length > 0) throw new ConfigError(`the bundled sample has no candles for ${missing.join(', ')}; set FEED to a feed that has them`);
    if (sample.symbols.length === 0) throw new ConfigError(nothingOwned(r, 'the bundled sample'));
    const speed = r.once ? 0 : r.demoSpeed;
    return { source: sample.source, sample, fast: speed === 0, speed };
  }

  const spec = parseFeedSpec(r.feed);
  const kind = feedKindOf(spec);
  const defaultSpeed = r.once ? 0 : undefined;
  let symbols: string[] | undefined;
  if (spec.kind === 'replay') {
    const inFeed = [...new Set(spec.paths.map((p) => replayFileInfo(p).symbol))];
    const missing = (r.symbols ?? []).filter((s) => !inFeed.includes(s));
    if (missing.length > 0) throw new ConfigError(`replay feed has no file for symbol(s) ${missing.join(', ')}`);
    symbols = inFeed.filter(wanted);
    if (symbols.length === 0) throw new ConfigError(nothingOwned(r, 'the replay feed'));
  } else if (kind.live) {
    symbols = r.symbols?.filter((s) => ownsSymbol(r.shard, s));
    if (symbols && symbols.length === 0) throw new ConfigError(nothingOwned(r, 'SYMBOLS'));
  }
  // Synthetic symbols are generated (SYN0/USD, ...): the tick loop drops those of other shards.
  const live = kind.live ? await liveResume(r.store, symbols ?? [], r.timeframe ?? '5m') : undefined;
  const source = await createSource(spec, { symbols, timeframe: r.timeframe, defaultSpeed, log: r.log, clock: r.clock, live, credentials: credentialsFor(kind, r.credentials) });
  const speed = kind.live || !('speed' in spec) ? null : (spec.speed ?? defaultSpeed ?? 0);
  return { source, sample: null, fast: speed === 0, speed };
}

/**
 * A live feed continues from the store: each symbol's newest stored candle is its resume point (the
 * first connection backfills the downtime from the exchange's REST API); a symbol with no history
 * fetches enough recent candles to fill the indicators and one model window (their signals are
 * computed too: they are real candles, only late).
 */
async function liveResume(store: FeedRequest['store'], symbols: readonly string[], timeframe: Timeframe) {
  const resume = new Map<string, number>();
  for (const s of await store.listCandleSeries()) {
    if (s.timeframe === timeframe && symbols.includes(s.symbol)) resume.set(s.symbol, s.lastOpenTime);
  }
  return { resume, warmupCandles: IndicatorSet.WARMUP_CANDLES + DEFAULT_WINDOW };
}

function nothingOwned(r: FeedRequest, what: string): string {
  const shard = r.shard.count > 1 ? ` for SHARD=${describeShard(r.shard)}` : '';
  const filter = r.symbols ? ` among SYMBOLS ${r.symbols.join(',')}` : '';
  const tf = r.timeframe ? ` with TIMEFRAME ${r.timeframe}` : '';
  return `${what} has no symbol to handle${shard}${filter}${tf}; check SYMBOLS, TIMEFRAME and SHARD`;
}

/** The one line saying what the feed is about to deliver. */
export function logFeedStart(log: Logger, feed: FeedChoice, series: readonly SeriesInfo[]): void {
  if (feed.sample && feed.sample.replay > 0) {
    const s = feed.sample;
    log.info(
      { symbols: s.symbols, candles: s.replay, speed: feed.speed },
      `replaying the bundled sample: ${s.symbols.length} symbols, ${s.timeframe} candles, ${describePace(s.timeframe, feed.speed ?? 0)}`,
    );
  } else if (!feed.sample) {
    log.info({ feed: feed.source.kind, symbols: series.map((x) => x.symbol), speed: feed.speed }, `feed: ${feed.source.kind}, ${series.length} series`);
  }
}

/** The line logged when a finite feed (a replay) has delivered everything. */
export function logFeedEnd(log: Logger, loop: { processedTicks: number; publishedSignals: number } | null, once: boolean, dataDir: string): void {
  const counts = { ticks: loop?.processedTicks, signals: loop?.publishedSignals };
  if (once) log.info(counts, 'the replay ended (--once): finishing the last ticks and flushing the store');
  else if (loop?.processedTicks) log.info(counts, 'the replay ended; still serving the HTTP API and the stream (Ctrl-C to stop)');
  else log.info(counts, `the replay had no new candles (an earlier run processed them all); serving the HTTP API and the stream (to replay the demo from scratch, stop and delete ${dataDir})`);
}
