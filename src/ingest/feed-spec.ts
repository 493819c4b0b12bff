/**
 * Feed specs (`--feed` / `FEED`, DESIGN.md "Feeds") parsed into a typed FeedSpec, and the factory
 * that turns one into a CandleSource, both through the scheme's FeedKind (feed-registry.ts). A bad
 * spec is a ConfigError (exit 2) saying what to write.
 */
import { fileURLToPath } from 'node:url';
import { feedSpecError, type SourceDeps } from './feed-kind.ts';
import { feedKindFor, feedKindOf, feedUsage, type FeedSpec } from './feed-registry.ts';
import type { CandleSource } from './source.ts';

/** The bundled real sample (data/sample/ in the repository); the feed when FEED is unset. */
export const SAMPLE_DATA_DIR = fileURLToPath(new URL('../../data/sample/', import.meta.url));
export const DEFAULT_FEED_SPEC = `replay:${SAMPLE_DATA_DIR}`;

export function parseFeedSpec(spec: string, opts: { cwd?: string } = {}): FeedSpec {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const scheme = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  const kind = feedKindFor(scheme);
  if (!kind) throw feedSpecError(spec, `unknown feed kind '${scheme}'; ${feedUsage()}`);
  return kind.parse(spec, rest, { cwd: opts.cwd ?? process.cwd() });
}

/** Builds the source for a spec; replay files are read and validated here, so errors surface at startup. */
export async function createSource(spec: FeedSpec | string, deps: SourceDeps = {}): Promise<CandleSource> {
  const feed = typeof spec === 'string' ? parseFeedSpec(spec) : spec;
  return feedKindOf(feed).create(feed, deps);
}

