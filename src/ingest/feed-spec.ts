/**
 * Feed specs (`--feed` / `FEED`, DESIGN.md "Feeds") parsed into a typed FeedSpec, and the factory
 * that turns one into a CandleSource. A bad spec is a ConfigError (exit 2) saying what to write.
 *
 *   replay:PATH[,PATH...][?speed=N]        files, or directories of BASE_QUOTE-TF.json/.csv files
 *   synthetic[:seed=N,symbols=K,timeframe=TF,vol=X,candles=N,start=ISO,shift_at=N,shift_vol=X,shift_drift=X,speed=N]
 *   binance:WS_BASE[,rest=REST_BASE]
 */
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../domain/clock.ts';
import { TIMEFRAMES, isTimeframe, type Timeframe } from '../domain/timeframe.ts';
import { ConfigError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { BinanceSource, type BinanceOptions } from './binance/source.ts';
import { ReplaySource } from './replay.ts';
import { replayFileInfo } from './replay-file.ts';
import type { CandleSource } from './source.ts';
import { SYNTHETIC_DEFAULTS, SyntheticSource, type SyntheticParams } from './synthetic.ts';

export type FeedSpec =
  | { kind: 'replay'; paths: string[]; speed: number | undefined }
  | { kind: 'synthetic'; params: SyntheticParams; timeframeGiven: boolean; speed: number | undefined }
  | { kind: 'binance'; wsBase: string; restBase: string | undefined };

/** The bundled real sample (data/sample/ in the repository); the feed when FEED is unset. */
export const SAMPLE_DATA_DIR = fileURLToPath(new URL('../../data/sample/', import.meta.url));
export const DEFAULT_FEED_SPEC = `replay:${SAMPLE_DATA_DIR}`;

const USAGE = 'use replay:PATH[,PATH...][?speed=N], synthetic[:seed=N,symbols=K,timeframe=TF,vol=X,candles=N] or binance:WS_BASE[,rest=REST_BASE]';

function bad(spec: string, why: string): ConfigError {
  return new ConfigError(`feed '${spec}': ${why}`, { feed: spec });
}

export function parseFeedSpec(spec: string, opts: { cwd?: string } = {}): FeedSpec {
  const s = spec.trim();
  const colon = s.indexOf(':');
  const scheme = (colon < 0 ? s : s.slice(0, colon)).toLowerCase();
  const rest = colon < 0 ? '' : s.slice(colon + 1);
  if (scheme === 'replay') return parseReplay(spec, rest, opts.cwd ?? process.cwd());
  if (scheme === 'synthetic') return parseSynthetic(spec, rest);
  if (scheme === 'binance') return parseBinance(spec, rest);
  throw bad(spec, `unknown feed kind '${scheme}'; ${USAGE}`);
}

function parseNumber(spec: string, key: string, v: string, check: (n: number) => boolean, what: string): number {
  const n = v.trim() === '' ? Number.NaN : Number(v);
  if (!Number.isFinite(n) || !check(n)) throw bad(spec, `${key}=${v} must be ${what}`);
  return n;
}

const speedOf = (spec: string, v: string) => parseNumber(spec, 'speed', v, (n) => n >= 0, 'a number >= 0 (0 = as fast as possible)');

function parseReplay(spec: string, rest: string, cwd: string): FeedSpec {
  const q = rest.lastIndexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  let speed: number | undefined;
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&').filter(Boolean)) {
      const [k, v = ''] = pair.split('=');
      if (k !== 'speed') throw bad(spec, `unknown replay option '${k}' (only speed=N)`);
      speed = speedOf(spec, v);
    }
  }
  const given = pathPart.split(',').map((p) => p.trim()).filter(Boolean);
  if (given.length === 0) throw bad(spec, `no file given; ${USAGE}`);
  const paths = given.flatMap((p) => expandPath(spec, resolve(cwd, p)));
  for (const p of paths) replayFileInfo(p);
  return { kind: 'replay', paths, speed };
}

function expandPath(spec: string, path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw bad(spec, `replay file ${path} does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /^[A-Za-z0-9]+_[A-Za-z0-9]+-\d+[mhd]\.(json|csv)$/.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw bad(spec, `directory ${path} holds no replay files (BASE_QUOTE-TF.json or .csv)`);
  return files;
}

const SYNTHETIC_KEYS = ['seed', 'symbols', 'timeframe', 'vol', 'candles', 'start', 'shift_at', 'shift_vol', 'shift_drift', 'speed'];

function parseSynthetic(spec: string, rest: string): FeedSpec {
  const params: SyntheticParams = { ...SYNTHETIC_DEFAULTS };
  let speed: number | undefined;
  let timeframeGiven = false;
  for (const pair of rest.split(',').map((p) => p.trim()).filter(Boolean)) {
    const eq = pair.indexOf('=');
    const [k, v] = eq < 0 ? [pair, ''] : [pair.slice(0, eq), pair.slice(eq + 1)];
    const int = (min: number, max: number) => parseNumber(spec, k, v, (n) => Number.isInteger(n) && n >= min && n <= max, `an integer from ${min} to ${max}`);
    switch (k) {
      case 'seed': params.seed = int(0, Number.MAX_SAFE_INTEGER); break;
      case 'symbols': params.symbols = int(1, 100_000); break;
      case 'candles': params.candles = int(1, 100_000_000); break;
      case 'vol': params.vol = parseNumber(spec, k, v, (n) => n > 0 && n <= 0.2, 'a per-candle volatility in (0, 0.2]'); break;
      case 'shift_at': params.shiftAt = int(0, 100_000_000); break;
      case 'shift_vol': params.shiftVol = parseNumber(spec, k, v, (n) => n > 0 && n <= 100, 'a multiplier in (0, 100]'); break;
      case 'shift_drift': params.shiftDrift = parseNumber(spec, k, v, (n) => Math.abs(n) <= 10, 'a drift in sigma per candle, within [-10, 10]'); break;
      case 'speed': speed = speedOf(spec, v); break;
      case 'timeframe':
        if (!isTimeframe(v)) throw bad(spec, `timeframe=${v} must be one of ${TIMEFRAMES.join(', ')}`);
        params.timeframe = v;
        timeframeGiven = true;
        break;
      case 'start': {
        const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
        if (!Number.isFinite(t)) throw bad(spec, `start=${v} must be an ISO time or epoch milliseconds`);
        params.start = t;
        break;
      }
      default:
        throw bad(spec, `unknown synthetic parameter '${k}' (one of ${SYNTHETIC_KEYS.join(', ')})`);
    }
  }
  return { kind: 'synthetic', params, timeframeGiven, speed };
}

function parseBinance(spec: string, rest: string): FeedSpec {
  const [wsBase = '', ...opts] = rest.split(',').map((p) => p.trim());
  let restBase: string | undefined;
  for (const o of opts) {
    if (!o.startsWith('rest=')) throw bad(spec, `unknown binance option '${o}' (only rest=REST_BASE)`);
    restBase = o.slice(5);
    if (!isUrl(restBase, ['http:', 'https:'])) throw bad(spec, `rest=${restBase} must be an http(s) URL`);
  }
  if (!isUrl(wsBase, ['ws:', 'wss:'])) throw bad(spec, `'${wsBase}' must be a ws:// or wss:// URL, e.g. binance:wss://stream.binance.com:9443`);
  return { kind: 'binance', wsBase, restBase };
}

function isUrl(v: string, protocols: string[]): boolean {
  try {
    return protocols.includes(new URL(v).protocol);
  } catch {
    return false;
  }
}

export interface SourceDeps {
  /** SYMBOLS / --symbols: required for binance; filters a replay's files. */
  symbols?: readonly string[];
  /** TIMEFRAME / --timeframe: binance's interval (default 5m), a synthetic default, a replay filter. */
  timeframe?: Timeframe;
  /** Replay and synthetic speed when the spec gives none (0 with --once). */
  defaultSpeed?: number;
  log?: Logger;
  clock?: Clock;
  /** Extra binance options (backoff, heartbeat, resume points...). */
  binance?: Partial<Omit<BinanceOptions, 'wsBase' | 'restBase' | 'symbols' | 'timeframe' | 'log' | 'clock'>>;
}

/** Builds the source for a spec; replay files are read and validated here, so errors surface at startup. */
export async function createSource(spec: FeedSpec | string, deps: SourceDeps = {}): Promise<CandleSource> {
  const feed = typeof spec === 'string' ? parseFeedSpec(spec) : spec;
  switch (feed.kind) {
    case 'replay': {
      const paths = feed.paths.filter((p) => {
        const info = replayFileInfo(p);
        return (!deps.symbols || deps.symbols.includes(info.symbol)) && (!deps.timeframe || info.timeframe === deps.timeframe);
      });
      const have = new Set(feed.paths.map((p) => replayFileInfo(p).symbol));
      const missing = (deps.symbols ?? []).filter((s) => !have.has(s));
      if (missing.length > 0) throw new ConfigError(`replay feed has no file for symbol(s) ${missing.join(', ')}`);
      if (paths.length === 0) throw new ConfigError(`replay feed has no file for timeframe ${deps.timeframe}`);
      return ReplaySource.open(paths, { speed: feed.speed ?? deps.defaultSpeed, log: deps.log, clock: deps.clock });
    }
    case 'synthetic': {
      const params = { ...feed.params, timeframe: feed.timeframeGiven ? feed.params.timeframe : (deps.timeframe ?? feed.params.timeframe) };
      return new SyntheticSource(params, { speed: feed.speed ?? deps.defaultSpeed, log: deps.log });
    }
    case 'binance': {
      if (!deps.symbols || deps.symbols.length === 0) throw new ConfigError('the binance feed needs symbols: set SYMBOLS or pass --symbols LTC/BTC,XLM/BTC');
      return new BinanceSource({
        ...deps.binance,
        wsBase: feed.wsBase,
        restBase: feed.restBase,
        symbols: deps.symbols,
        timeframe: deps.timeframe ?? '5m',
        log: deps.log,
        clock: deps.clock,
      });
    }
  }
}
