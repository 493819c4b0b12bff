/**
 * ml-predict: a signal for one symbol from the signalbase daemon (POST /v1/predict), for browsers
 * and apps that hold a Supabase key but no daemon key. Body {"symbol", "candles"?}: without
 * candles the daemon predicts from the candles it tracks; with them (objects
 * {open_time|time, open, high, low, close, volume} or [open_time_ms, o, h, l, c, v] rows, oldest
 * first, at most 5,000) it predicts from those. Answers the daemon's Signal (DESIGN.md "Signal").
 * ML_API_KEY must be a prediction or admin key.
 */
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, proxy, readJson, serveFunction, symbolSchema } from '../_shared/http.ts';

/** The daemon's own limits (src/serve/schemas.ts, api-server.ts): checked here to fail early. */
const MAX_CANDLES = 5_000;
const BODY_LIMIT_BYTES = 1024 * 1024;

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
  return serveFunction(req, ['POST'], async (cors) => {
    const b = await readJson(req, BODY_LIMIT_BYTES, body);
    return proxy(env, { method: 'POST', path: '/v1/predict', body: b }, cors);
  });
}
