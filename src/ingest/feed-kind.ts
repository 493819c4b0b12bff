/**
 * What a feed scheme (`--feed` / `FEED`, DESIGN.md "Feeds") is to the rest of the program: a parser
 * for its spec, a factory for its source, and doctor's check. The schemes are listed in
 * feed-registry.ts; a new one is its file plus one line there.
 */
import type { Clock } from '../domain/clock.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { LiveOptions } from './live/source.ts';
import type { CandleSource } from './source.ts';

/**
 * Account credentials of the live feeds that need them, by configuration variable (config.ts
 * feedCredentials: `OANDA_TOKEN`, `OANDA_ACCOUNT`). A kind reads only the keys it declares in
 * `credentials`, so a new venue with an account adds its variables to config.ts and nothing here.
 */
export type FeedCredentials = Readonly<Record<string, string | undefined>>;

export interface SourceDeps {
  /** SYMBOLS / --symbols: required for live feeds; filters a replay's files. */
  symbols?: readonly string[];
  /** TIMEFRAME / --timeframe: a live feed's interval (default 5m), a synthetic default, a replay filter. */
  timeframe?: Timeframe;
  /** Replay and synthetic speed when the spec gives none (0 with --once). */
  defaultSpeed?: number;
  log?: Logger;
  clock?: Clock;
  /** Extra options of a live feed (backoff, heartbeat, resume points...). */
  live?: Partial<Omit<LiveOptions, 'symbols' | 'timeframe' | 'log' | 'clock'>>;
  credentials?: FeedCredentials;
}

/** doctor's one line about the feed. */
export interface FeedCheck {
  ok: boolean;
  detail: string;
}

export interface FeedCheckContext {
  symbols: readonly string[] | undefined;
  timeframe: Timeframe | undefined;
  /** The bundled sample (FEED unset). */
  sample: boolean;
  timeoutMs: number;
  credentials?: FeedCredentials;
}

export interface FeedKind<S extends { kind: string }> {
  readonly scheme: S['kind'];
  /** Its line of the usage text, e.g. `binance:WS_BASE[,rest=REST_BASE]`. */
  readonly usage: string;
  /**
   * A live feed continues from the store (each symbol's newest candle is its resume point), needs
   * SYMBOLS, and has no speed.
   */
  readonly live: boolean;
  /** The configuration variables (FeedCredentials keys) it needs, e.g. OANDA_TOKEN; none for public data. */
  readonly credentials?: readonly string[];
  /** `rest` is what follows `scheme:`; a bad spec throws feedSpecError. */
  parse(spec: string, rest: string, opts: { cwd: string }): S;
  create(spec: S, deps: SourceDeps): Promise<CandleSource> | CandleSource;
  check(spec: S, ctx: FeedCheckContext): Promise<FeedCheck> | FeedCheck;
}

export function feedSpecError(spec: string, why: string): ConfigError {
  return new ConfigError(`feed '${spec}': ${why}`, { feed: spec });
}

export function parseNumber(spec: string, key: string, v: string, check: (n: number) => boolean, what: string): number {
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(n) || !check(n)) throw feedSpecError(spec, `${key}=${v} must be ${what}`);
  return n;
}

export const parseSpeed = (spec: string, v: string): number => parseNumber(spec, 'speed', v, (n) => n >= 0, 'a number >= 0 (0 = as fast as possible)');

export function isUrl(v: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

/** A live feed's SYMBOLS, or the ConfigError that says to set them. */
export function liveSymbols(scheme: string, deps: SourceDeps): readonly string[] {
  if (!deps.symbols || deps.symbols.length === 0) throw new ConfigError(`the ${scheme} feed needs symbols: set SYMBOLS or pass --symbols LTC/BTC,XLM/BTC`);
  return deps.symbols;
}

/** Only the credentials a kind declares: a feed never sees another venue's account. */
export function credentialsFor(kind: Pick<FeedKind<{ kind: string }>, 'credentials'>, all: FeedCredentials | undefined): FeedCredentials {
  return Object.fromEntries((kind.credentials ?? []).map((k) => [k, all?.[k]]));
}
