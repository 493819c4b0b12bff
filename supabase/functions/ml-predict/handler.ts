/**
 * ml-predict: a signal for one symbol from the signalbase daemon (POST /v1/predict), for signed-in
 * users of a Supabase app (the JWT verified here, _shared/auth.ts), each limited by its own
 * identity. Body {"symbol", "candles"?}: without candles the daemon answers its live signal; with
 * them (objects {open_time|time, open, high, low, close, volume} or [open_time_ms, o, h, l, c, v]
 * rows, oldest first, at most the daemon's warm-up plus one model window) it computes over those,
 * an API prediction recorded with requested_by = the user. Answers the daemon's Signal.
 * ML_API_KEY is the only daemon key any function holds: make it a `prediction` key.
 */
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, proxy, readJson, serveFunction, symbolSchema } from '../_shared/http.ts';
import { takeQuota } from '../_shared/store.ts';

/** The daemon's own limits (src/daemon/api.ts maxCandles: 50 + 60; api-server.ts): checked here to fail early. */
const MAX_CANDLES = 110;
const BODY_LIMIT_BYTES = 256 * 1024;

const positive = z.number().finite().positive();
const time = z.union([z.number().int().nonnegative(), z.string().min(10).max(40)]);
const candle = z.union([
  z.object({ open_time: time.optional(), time: time.optional(), open: positive, high: positive, low: positive, close: positive, volume: z.number().finite().nonnegative() }),
  z.tuple([time, positive, positive, positive, positive, z.number().finite().nonnegative()]),
]);

const body = z.object({
  symbol: symbolSchema,
  candles: z.array(candle).min(1).max(MAX_CANDLES).optional(),
});

export function handler(req: Request, env: FunctionEnv): Promise<Response> {
  return serveFunction(req, env, ['POST'], async (cors, caller) => {
    const b = await readJson(req, BODY_LIMIT_BYTES, body);
    await takeQuota(env, 'ml-predict', caller);
    const onBehalf = caller.sub ? { 'X-Signalbase-Requested-By': caller.sub } : undefined;
    return proxy(env, { method: 'POST', path: '/v1/predict', body: b, ...(onBehalf ? { headers: onBehalf } : {}) }, cors);
  });
}
