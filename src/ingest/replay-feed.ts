/**
 * The `replay:PATH[,PATH...][?speed=N]` feed: files, or directories of BASE_QUOTE-TF.json/.csv
 * files (replay.ts reads them). doctor checks every file is named right and readable.
 */
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ConfigError, describeError } from '../errors.ts';
import { feedSpecError, parseSpeed, type FeedCheck, type FeedCheckContext, type FeedKind } from './feed-kind.ts';
import { ReplaySource } from './replay.ts';
import { replayFileInfo } from './replay-file.ts';

export interface ReplaySpec {
  kind: 'replay';
  paths: string[];
  speed: number | undefined;
}

export const replayFeed: FeedKind<ReplaySpec> = {
  scheme: 'replay',
  usage: 'replay:PATH[,PATH...][?speed=N]',
  live: false,
  parse: (spec, rest, opts) => parseReplay(spec, rest, opts.cwd),
  create(feed, deps) {
    const paths = feed.paths.filter((p) => {
      const info = replayFileInfo(p);
      return (!deps.symbols || deps.symbols.includes(info.symbol)) && (!deps.timeframe || info.timeframe === deps.timeframe);
    });
    const have = new Set(feed.paths.map((p) => replayFileInfo(p).symbol));
    const missing = (deps.symbols ?? []).filter((s) => !have.has(s));
    if (missing.length > 0) throw new ConfigError(`replay feed has no file for symbol(s) ${missing.join(', ')}`);
    if (paths.length === 0) throw new ConfigError(`replay feed has no file for timeframe ${deps.timeframe}`);
    return ReplaySource.open(paths, { speed: feed.speed ?? deps.defaultSpeed, log: deps.log, clock: deps.clock });
  },
  check: (feed, ctx) => checkReplay(feed.paths, ctx, ctx.sample),
};

function parseReplay(spec: string, rest: string, cwd: string): ReplaySpec {
  const q = rest.lastIndexOf('?');
  const pathPart = q < 0 ? rest : rest.slice(0, q);
  let speed: number | undefined;
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&').filter(Boolean)) {
      const [k, v = ''] = pair.split('=');
      if (k !== 'speed') throw feedSpecError(spec, `unknown replay option '${k}' (only speed=N)`);
      speed = parseSpeed(spec, v);
    }
  }
  const given = pathPart.split(',').map((p) => p.trim()).filter(Boolean);
  if (given.length === 0) throw feedSpecError(spec, `no file given; use ${replayFeed.usage}`);
  const paths = given.flatMap((p) => expandPath(spec, resolve(cwd, p)));
  for (const p of paths) replayFileInfo(p);
  return { kind: 'replay', paths, speed };
}

function expandPath(spec: string, path: string): string[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw feedSpecError(spec, `replay file ${path} does not exist`);
  }
  if (!st.isDirectory()) return [path];
  const files = readdirSync(path)
    .filter((f) => /^[A-Za-z0-9]+_[A-Za-z0-9]+-\d+[mhd]\.(json|csv)$/.test(f))
    .sort()
    .map((f) => join(path, f));
  if (files.length === 0) throw feedSpecError(spec, `directory ${path} holds no replay files (BASE_QUOTE-TF.json or .csv)`);
  return files;
}

function checkReplay(paths: string[], config: Pick<FeedCheckContext, 'symbols' | 'timeframe'>, sample: boolean): FeedCheck {
  const series: string[] = [];
  const symbols = new Set<string>();
  for (const p of paths) {
    try {
      const info = replayFileInfo(p);
      accessSync(p, constants.R_OK);
      if (!config.timeframe || info.timeframe === config.timeframe) symbols.add(info.symbol);
      series.push(`${info.symbol} ${info.timeframe}`);
    } catch (err) {
      return { ok: false, detail: `replay file ${p} is not readable: ${describeError(err)}` };
    }
  }
  const missing = (config.symbols ?? []).filter((s) => !symbols.has(s));
  if (missing.length > 0) return { ok: false, detail: `replay has no file for ${missing.join(', ')}${config.timeframe ? ` ${config.timeframe}` : ''}` };
  if (symbols.size === 0) return { ok: false, detail: `replay has no file for timeframe ${config.timeframe}` };
  return { ok: true, detail: `${sample ? 'bundled sample replay' : 'replay'}: ${paths.length} readable file${paths.length === 1 ? '' : 's'} (${series.join(', ')})` };
}
