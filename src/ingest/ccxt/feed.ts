/**
 * The `ccxt:EXCHANGE[,rest=URL][,ws=URL]` feed: any exchange id of the ccxt package (binance,
 * kraken, coinbase, okx, bybit, ...). `rest` sends every REST request and `ws` every websocket
 * connection to another base, keeping the paths (a proxy, or a fake on loopback in tests).
 */
import { describeError } from '../../errors.ts';
import { rootLogger } from '../../log.ts';
import { feedSpecError, isUrl, liveSymbols, type FeedKind } from '../feed-kind.ts';
import { checkCcxt, createCcxtSource } from './source.ts';

export interface CcxtSpec {
  kind: 'ccxt';
  exchange: string;
  restBase: string | undefined;
  wsBase: string | undefined;
}

export const ccxtFeed: FeedKind<CcxtSpec> = {
  scheme: 'ccxt',
  usage: 'ccxt:EXCHANGE',
  live: true,
  parse: (spec, rest) => parseCcxt(spec, rest),
  create: (feed, deps) =>
    createCcxtSource({
      exchange: feed.exchange,
      restBase: feed.restBase,
      wsBase: feed.wsBase,
      symbols: liveSymbols(`ccxt:${feed.exchange}`, deps),
      timeframe: deps.timeframe ?? '5m',
      clock: deps.clock,
      log: deps.log ?? rootLogger(),
      resume: deps.live?.resume,
      warmupCandles: deps.live?.warmupCandles,
      backoff: deps.live?.backoff,
      live: deps.live,
    }),
  async check(feed, ctx) {
    const symbols = ctx.symbols ?? [];
    if (symbols.length === 0) return { ok: false, detail: `ccxt:${feed.exchange}: SYMBOLS is not set (e.g. SYMBOLS=BTC/USDT,ETH/USDT)` };
    try {
      const detail = await checkCcxt({ exchange: feed.exchange, restBase: feed.restBase, wsBase: feed.wsBase, symbols, timeframe: ctx.timeframe ?? '5m', requestTimeoutMs: ctx.timeoutMs, log: rootLogger() });
      return { ok: true, detail };
    } catch (err) {
      return { ok: false, detail: `ccxt:${feed.exchange}: ${describeError(err)}` };
    }
  },
};

function parseCcxt(spec: string, rest: string): CcxtSpec {
  const [exchange = '', ...opts] = rest.split(',').map((p) => p.trim());
  if (!/^[a-z0-9_]+$/.test(exchange)) throw feedSpecError(spec, `'${exchange}' must be a ccxt exchange id, e.g. ccxt:binance or ccxt:kraken`);
  let restBase: string | undefined;
  let wsBase: string | undefined;
  for (const o of opts) {
    if (o.startsWith('rest=')) {
      restBase = o.slice(5);
      if (!isUrl(restBase, ['http:', 'https:'])) throw feedSpecError(spec, `rest=${restBase} must be an http(s) URL`);
    } else if (o.startsWith('ws=')) {
      wsBase = o.slice(3);
      if (!isUrl(wsBase, ['ws:', 'wss:'])) throw feedSpecError(spec, `ws=${wsBase} must be a ws(s) URL`);
    } else throw feedSpecError(spec, `unknown ccxt option '${o}' (rest=URL, ws=URL)`);
  }
  return { kind: 'ccxt', exchange, restBase, wsBase };
}
