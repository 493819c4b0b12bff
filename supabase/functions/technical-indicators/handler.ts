/**
 * technical-indicators: the latest stored signal of a symbol (its 17 raw indicators, direction,
 * entry, stop and target) and the indicator weights, read from the store
 * (get_latest_signal(), get_latest_indicator_weights()); no daemon key. The symbol comes as
 * ?symbol=LTC/BTC (GET) or {"symbol"} (POST, what supabase-js functions.invoke sends). Callers are
 * verified signed-in users (or the service role), each limited by its own identity.
 */
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, HttpError, json, readJson, serveFunction, symbolSchema } from '../_shared/http.ts';
import { rpc, takeQuota } from '../_shared/store.ts';

const body = z.object({ symbol: symbolSchema });

async function symbolOf(req: Request): Promise<string> {
  if (req.method === 'POST') return (await readJson(req, 4 * 1024, body)).symbol;
  const raw = new URL(req.url).searchParams.get('symbol');
  if (raw === null) throw new HttpError(400, 'INVALID_REQUEST', 'symbol: required, e.g. ?symbol=LTC/BTC');
  const parsed = symbolSchema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'INVALID_REQUEST', `symbol: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** LTC/BTC for ltc-btc, LTC_BTC, ltc/btc (the stored form). */
const canonical = (s: string) => s.toUpperCase().replace(/[_-]/, '/');

interface StoredSignal {
  symbol: string;
  technical_indicators: Record<string, number | null>;
  [k: string]: unknown;
}

export function handler(req: Request, env: FunctionEnv): Promise<Response> {
  return serveFunction(req, env, ['GET', 'POST'], async (cors, caller) => {
    const symbol = canonical(await symbolOf(req));
    await takeQuota(env, 'technical-indicators', caller);
    const [rows, weights] = await Promise.all([
      rpc<StoredSignal[]>(env, 'get_latest_signal', { p_symbol: symbol }),
      rpc<{ indicator_name: string; current_weight: number }[]>(env, 'get_latest_indicator_weights', {}),
    ]);
    const latest = rows?.[0];
    if (!latest) throw new HttpError(404, 'UNKNOWN_SYMBOL', `no stored signal for ${symbol} yet`);
    const { technical_indicators: indicators, ...signal } = latest;
    return json(200, {
      symbol,
      indicators,
      weights: Object.fromEntries((weights ?? []).map((w) => [w.indicator_name, w.current_weight])),
      signal,
    }, cors);
  });
}
