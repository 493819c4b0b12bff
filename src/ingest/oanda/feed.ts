/**
 * The `oanda:practice|live[,price=M|B|A][,rest=URL][,stream=URL]` feed: parsing, the source
 * (source.ts) and doctor's check. `rest` and `stream` replace the environment's hosts (a proxy, or
 * a fake on loopback in tests); OANDA_TOKEN and OANDA_ACCOUNT come from the configuration.
 */
import { describeError } from '../../errors.ts';
import { feedSpecError, isUrl, liveSymbols, type FeedKind } from '../feed-kind.ts';
import type { OandaPrice } from './client.ts';
import type { OandaEnvironment } from './instruments.ts';
import { checkOanda, createOandaSource } from './source.ts';

export interface OandaSpec {
  kind: 'oanda';
  environment: OandaEnvironment;
  price: OandaPrice;
  restBase: string | undefined;
  streamBase: string | undefined;
}

export const oandaFeed: FeedKind<OandaSpec> = {
  scheme: 'oanda',
  usage: 'oanda:practice|live[,price=M|B|A]',
  live: true,
  credentials: ['OANDA_TOKEN', 'OANDA_ACCOUNT'],
  parse: (spec, rest) => parseOanda(spec, rest),
  create: (feed, deps) =>
    createOandaSource({
      environment: feed.environment,
      token: deps.credentials?.OANDA_TOKEN,
      accountId: deps.credentials?.OANDA_ACCOUNT,
      symbols: liveSymbols('oanda', deps),
      timeframe: deps.timeframe ?? '5m',
      price: feed.price,
      restBase: feed.restBase,
      streamBase: feed.streamBase,
      clock: deps.clock,
      log: deps.log,
      resume: deps.live?.resume,
      warmupCandles: deps.live?.warmupCandles,
      backoff: deps.live?.backoff,
    }),
  async check(feed, ctx) {
    const symbols = ctx.symbols ?? [];
    if (symbols.length === 0) return { ok: false, detail: 'oanda: SYMBOLS is not set (e.g. SYMBOLS=EUR/USD,GBP/USD)' };
    try {
      const detail = await checkOanda(
        { environment: feed.environment, token: ctx.credentials?.OANDA_TOKEN, accountId: ctx.credentials?.OANDA_ACCOUNT, symbols, timeframe: ctx.timeframe ?? '5m', restBase: feed.restBase },
        AbortSignal.timeout(ctx.timeoutMs),
      );
      return { ok: true, detail };
    } catch (err) {
      return { ok: false, detail: `oanda:${feed.environment}: ${describeError(err)}` };
    }
  },
};

function parseOanda(spec: string, rest: string): OandaSpec {
  const [env = '', ...opts] = rest.split(',').map((p) => p.trim());
  if (env !== 'practice' && env !== 'live') throw feedSpecError(spec, `'${env}' must be practice or live, e.g. oanda:practice`);
  const out: OandaSpec = { kind: 'oanda', environment: env, price: 'M', restBase: undefined, streamBase: undefined };
  for (const o of opts) {
    const [k, v = ''] = o.split('=');
    if (k === 'price') {
      if (v !== 'M' && v !== 'B' && v !== 'A') throw feedSpecError(spec, `price=${v} must be M (midpoint), B (bid) or A (ask)`);
      out.price = v;
    } else if (k === 'rest' || k === 'stream') {
      if (!isUrl(v, ['http:', 'https:'])) throw feedSpecError(spec, `${k}=${v} must be an http(s) URL`);
      out[k === 'rest' ? 'restBase' : 'streamBase'] = v;
    } else {
      throw feedSpecError(spec, `unknown oanda option '${o}' (price=M|B|A, rest=URL, stream=URL)`);
    }
  }
  return out;
}
