/**
 * doctor's `feed` check: the configured FEED (or the bundled sample) in one line, by the feed's own
 * check (its FeedKind in ingest/feed-registry.ts): a replay's files are named BASE_QUOTE-TF and
 * readable, a synthetic spec is valid, a live feed has SYMBOLS and its endpoints answer within a
 * short timeout. Nothing is sent anywhere but the configured endpoints.
 */
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import { credentialsFor, type FeedCheck } from '../ingest/feed-kind.ts';
import { feedKindOf } from '../ingest/feed-registry.ts';
import { DEFAULT_FEED_SPEC, parseFeedSpec } from '../ingest/feed-spec.ts';

const DEFAULT_TIMEOUT_MS = 3_000;

export async function checkFeed(config: Pick<Config, 'feed' | 'symbols' | 'timeframe'> & Partial<Pick<Config, 'feedCredentials'>>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FeedCheck> {
  const spec = config.feed ?? DEFAULT_FEED_SPEC;
  try {
    const feed = parseFeedSpec(spec);
    const kind = feedKindOf(feed);
    return await kind.check(feed, { symbols: config.symbols, timeframe: config.timeframe, sample: config.feed === undefined, timeoutMs, credentials: credentialsFor(kind, config.feedCredentials) });
  } catch (err) {
    return { ok: false, detail: describeError(err) };
  }
}
