/**
 * technical-indicators: the latest 17 raw indicators of a symbol, the indicator weights, the
 * consensus score and a technical summary, from the signalbase daemon
 * (GET /v1/indicators/:symbol). The symbol comes as ?symbol=LTC/BTC (GET) or {"symbol"} (POST,
 * what supabase-js functions.invoke sends). ML_API_KEY may be a key of any type.
 */
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, HttpError, proxy, readJson, serveFunction, symbolSchema } from '../_shared/http.ts';

const body = z.object({ symbol: symbolSchema });

async function symbolOf(req: Request): Promise<string> {
  if (req.method === 'POST') return (await readJson(req, 4 * 1024, body)).symbol;
  const raw = new URL(req.url).searchParams.get('symbol');
  if (raw === null) throw new HttpError(400, 'INVALID_REQUEST', 'symbol: required, e.g. ?symbol=LTC/BTC');
  const parsed = symbolSchema.safeParse(raw);
  if (!parsed.success) throw new HttpError(400, 'INVALID_REQUEST', `symbol: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

export function handler(req: Request, env: FunctionEnv): Promise<Response> {
  return serveFunction(req, ['GET', 'POST'], async (cors) => {
    const symbol = await symbolOf(req);
    return proxy(env, { method: 'GET', path: `/v1/indicators/${encodeURIComponent(symbol)}` }, cors);
  });
}
