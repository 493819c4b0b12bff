/**
 * Feed schemes: `scheme` -> its FeedKind (feed-kind.ts). A new exchange adapter is its folder
 * (a LiveVenue on the websocket base ingest/live/, or a CandleVenue on the polled one
 * ingest/polled/, and a FeedKind) plus one line here; FeedSpec follows from the map. A venue that
 * needs an account declares its variables in its FeedKind's `credentials` and adds them to
 * config.ts; no other shared file changes.
 */
import { binanceFeed } from './binance/feed.ts';
import { ccxtFeed } from './ccxt/feed.ts';
import type { FeedKind } from './feed-kind.ts';
import { oandaFeed } from './oanda/feed.ts';
import { replayFeed } from './replay-feed.ts';
import { syntheticFeed } from './synthetic-feed.ts';

export const FEEDS = {
  replay: replayFeed,
  synthetic: syntheticFeed,
  binance: binanceFeed,
  ccxt: ccxtFeed,
  oanda: oandaFeed,
} as const;

/** A parsed `--feed` / `FEED`: one of the schemes' specs. */
export type FeedSpec = ReturnType<(typeof FEEDS)[keyof typeof FEEDS]['parse']>;

/** The kind that parsed `spec`. */
export function feedKindOf(spec: FeedSpec): FeedKind<FeedSpec> {
  return FEEDS[spec.kind] as unknown as FeedKind<FeedSpec>;
}

export function feedKindFor(scheme: string): FeedKind<FeedSpec> | undefined {
  return Object.hasOwn(FEEDS, scheme) ? (FEEDS[scheme as keyof typeof FEEDS] as unknown as FeedKind<FeedSpec>) : undefined;
}

/** `use replay:..., synthetic[:...] or binance:...`, for messages. */
export function feedUsage(): string {
  const u = Object.values(FEEDS).map((k) => k.usage);
  return `use ${u.slice(0, -1).join(', ')} or ${u[u.length - 1]}`;
}
