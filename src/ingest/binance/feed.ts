/**
 * The `binance:WS_BASE[,rest=REST_BASE]` feed: parsing, the source (source.ts), and doctor's check
 * (SYMBOLS is set, the REST endpoint answers klines for the first symbol and the websocket accepts
 * a connection, each within a short timeout; nothing is sent anywhere but the configured endpoints).
 */
import WebSocket from 'ws';
import { describeError } from '../../errors.ts';
import { feedSpecError, isUrl, liveSymbols, type FeedCheck, type FeedCheckContext, type FeedKind } from '../feed-kind.ts';
import { BinanceSource, combinedStreamUrl, defaultRestBase } from './source.ts';

export interface BinanceSpec {
  kind: 'binance';
  wsBase: string;
  restBase: string | undefined;
}

export const binanceFeed: FeedKind<BinanceSpec> = {
  scheme: 'binance',
  usage: 'binance:WS_BASE[,rest=REST_BASE]',
  live: true,
  parse: (spec, rest) => parseBinance(spec, rest),
  create: (feed, deps) =>
    new BinanceSource({
      ...deps.live,
      wsBase: feed.wsBase,
      restBase: feed.restBase,
      symbols: liveSymbols('binance', deps),
      timeframe: deps.timeframe ?? '5m',
      log: deps.log,
      clock: deps.clock,
    }),
  check: (feed, ctx) => checkBinance(feed.wsBase, feed.restBase ?? defaultRestBase(feed.wsBase), ctx, ctx.timeoutMs),
};

function parseBinance(spec: string, rest: string): BinanceSpec {
  const [wsBase = '', ...opts] = rest.split(',').map((p) => p.trim());
  let restBase: string | undefined;
  for (const o of opts) {
    if (!o.startsWith('rest=')) throw feedSpecError(spec, `unknown binance option '${o}' (only rest=REST_BASE)`);
    restBase = o.slice(5);
    if (!isUrl(restBase, ['http:', 'https:'])) throw feedSpecError(spec, `rest=${restBase} must be an http(s) URL`);
  }
  if (!isUrl(wsBase, ['ws:', 'wss:'])) throw feedSpecError(spec, `'${wsBase}' must be a ws:// or wss:// URL, e.g. binance:wss://stream.binance.com:9443`);
  return { kind: 'binance', wsBase, restBase };
}

async function checkBinance(wsBase: string, restBase: string, config: Pick<FeedCheckContext, 'symbols' | 'timeframe'>, timeoutMs: number): Promise<FeedCheck> {
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
