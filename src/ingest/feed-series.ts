/**
 * A finite feed read whole: the candle series of a replay or synthetic spec, filtered by SYMBOLS and
 * TIMEFRAME. What `train` and `backtest` read; the daemon streams instead.
 */
import type { Candle } from '../domain/candle.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { parseFeedSpec } from './feed-spec.ts';
import { readReplayFile } from './replay-file.ts';
import { syntheticSeries } from './synthetic.ts';

export interface FeedFilter {
  symbols?: readonly string[] | undefined;
  timeframe?: Timeframe | undefined;
}

export async function readFeedSeries(spec: string, filter: FeedFilter, log: Logger, command: string): Promise<Candle[][]> {
  const feed = parseFeedSpec(spec);
  let series: Candle[][];
  if (feed.kind === 'replay') {
    series = await Promise.all(feed.paths.map((p) => readReplayFile(p, { log })));
  } else if (feed.kind === 'synthetic') {
    const timeframe = feed.timeframeGiven ? feed.params.timeframe : (filter.timeframe ?? feed.params.timeframe);
    series = syntheticSeries({ ...feed.params, timeframe });
  } else {
    throw new ConfigError(`${command} reads replay or synthetic feeds; got a ${feed.kind} feed`);
  }
  series = series.filter(
    (s) => s.length > 0 && (!filter.symbols || filter.symbols.includes(s[0]!.symbol)) && (!filter.timeframe || s[0]!.timeframe === filter.timeframe),
  );
  if (series.length === 0) throw new ConfigError(`feed '${spec}' holds no candles for SYMBOLS / TIMEFRAME`);
  return series;
}
