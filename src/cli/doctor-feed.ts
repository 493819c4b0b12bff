/**
 * doctor's `feed` check: the configured FEED (or the bundled sample) in one line.
 *  - replay: the spec parses, every file is named BASE_QUOTE-TF and readable, SYMBOLS / TIMEFRAME
 *    find files;
 *  - synthetic: the parameters are valid;
 *  - binance: SYMBOLS is set, the REST endpoint answers (klines for the first symbol, else
 *    /api/v3/ping) and the websocket accepts a connection, each within a short timeout.
 * Nothing is sent anywhere but the configured endpoints.
 */
import { accessSync, constants } from 'node:fs';
import WebSocket from 'ws';
import type { Config } from '../config.ts';
import { describeError } from '../errors.ts';
import { combinedStreamUrl, defaultRestBase } from '../ingest/binance/source.ts';
import { DEFAULT_FEED_SPEC, parseFeedSpec, type FeedSpec } from '../ingest/feed-spec.ts';
import { replayFileInfo } from '../ingest/replay-file.ts';

export interface FeedCheck {
  ok: boolean;
  detail: string;
}

const DEFAULT_TIMEOUT_MS = 3_000;

export async function checkFeed(config: Pick<Config, 'feed' | 'symbols' | 'timeframe'>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<FeedCheck> {
  const spec = config.feed ?? DEFAULT_FEED_SPEC;
  let feed: FeedSpec;
  try {
    feed = parseFeedSpec(spec);
  } catch (err) {
    return { ok: false, detail: describeError(err) };
  }
  switch (feed.kind) {
    case 'replay':
      return checkReplay(feed.paths, config, config.feed === undefined);
    case 'synthetic': {
      const p = feed.params;
      return { ok: true, detail: `synthetic: seed=${p.seed} symbols=${p.symbols} timeframe=${config.timeframe && !feed.timeframeGiven ? config.timeframe : p.timeframe} candles=${p.candles} vol=${p.vol} (valid)` };
    }
    case 'binance':
      return checkBinance(feed.wsBase, feed.restBase ?? defaultRestBase(feed.wsBase), config, timeoutMs);
  }
}

function checkReplay(paths: string[], config: Pick<Config, 'symbols' | 'timeframe'>, sample: boolean): FeedCheck {
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

async function checkBinance(wsBase: string, restBase: string, config: Pick<Config, 'symbols' | 'timeframe'>, timeoutMs: number): Promise<FeedCheck> {
  const symbols = config.symbols ?? [];
  if (symbols.length === 0) return { ok: false, detail: `binance ${wsBase}: SYMBOLS is not set (e.g. SYMBOLS=LTC/BTC,XLM/BTC)` };
  const [rest, ws] = await Promise.all([restProbe(restBase, symbols[0]!, config.timeframe ?? '5m', timeoutMs), wsProbe(combinedStreamUrl(wsBase), timeoutMs)]);
  const ok = rest.ok && ws.ok;
  return { ok, detail: `binance: REST ${rest.detail}; websocket ${ws.detail}` };
}

async function restProbe(restBase: string, symbol: string, interval: string, timeoutMs: number): Promise<FeedCheck> {
  const url = `${restBase.replace(/\/+$/, '')}/api/v3/klines?symbol=${encodeURIComponent(symbol.replace('/', ''))}&interval=${encodeURIComponent(interval)}&limit=1`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await res.text();
    if (res.ok && body.trimStart().startsWith('[')) return { ok: true, detail: `${restBase} answers klines for ${symbol}` };
    return { ok: false, detail: `${restBase} answered HTTP ${res.status} for ${symbol} ${interval} klines: ${body.slice(0, 120)}` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? describeError(err));
    return { ok: false, detail: `${restBase} unreachable (${why})` };
  }
}

function wsProbe(url: string, timeoutMs: number): Promise<FeedCheck> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    const done = (r: FeedCheck) => {
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(r);
    };
    ws.once('open', () => done({ ok: true, detail: `${url} accepts connections` }));
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      done({ ok: false, detail: `${url} refused the upgrade (HTTP ${res.statusCode})` });
    });
    ws.once('error', (err: Error & { code?: string }) => done({ ok: false, detail: `${url} unreachable (${err.code ?? err.message})` }));
  });
}
