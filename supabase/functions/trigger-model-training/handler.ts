/**
 * trigger-model-training: files a retrain request with the signalbase daemon (POST /v1/retrain),
 * the same queue as `signalbase retrain`, the cron and drift alarms. Body {"force"?, "reason"?}:
 * force skips the minimum interval since the last training. Answers 202 {"request_id"}; the
 * daemon's leader picks the request up within seconds. ML_API_KEY must be an admin key.
 */
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, proxy, readJson, serveFunction } from '../_shared/http.ts';

const body = z.strictObject({
  force: z.boolean().optional(),
  reason: z.string().trim().min(1).max(500).optional(),
});

export function handler(req: Request, env: FunctionEnv): Promise<Response> {
  return serveFunction(req, ['POST'], async (cors) => {
    const b = await readJson(req, 64 * 1024, body);
    // Say where the request came from; the daemon keeps the reason with the request.
    const reason = b.reason ?? 'requested through the trigger-model-training Edge Function';
    return proxy(env, { method: 'POST', path: '/v1/retrain', body: { ...(b.force !== undefined ? { force: b.force } : {}), reason } }, cors);
  });
}
