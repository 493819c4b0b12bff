/**
 * trigger-model-training: an operator files a retrain request. The function verifies the caller
 * (the service role, or a signed-in user whose SB_OPERATOR_CLAIM is true; _shared/auth.ts) and
 * inserts the request into ml_retrain_requests itself, with requested_by = the user's id: the
 * same queue as `signalbase retrain`, the cron and drift alarms, which the daemon's leader polls.
 * No daemon key is involved. Body {"force"?, "reason"?}: force skips the minimum interval since the
 * last training. Answers 202 {"request_id"}; the user reads its status through RLS
 * (ml_retrain_requests, own requests only).
 */
import { requireOperator } from '../_shared/auth.ts';
import { z } from '../_shared/deps.ts';
import { type FunctionEnv, json, readJson, serveFunction } from '../_shared/http.ts';
import { rpc, takeQuota } from '../_shared/store.ts';

const body = z.strictObject({
  force: z.boolean().optional(),
  reason: z.string().trim().min(1).max(500).optional(),
});

export function handler(req: Request, env: FunctionEnv): Promise<Response> {
  return serveFunction(req, env, ['POST'], async (cors, caller) => {
    requireOperator(caller, env);
    const b = await readJson(req, 64 * 1024, body);
    await takeQuota(env, 'trigger-model-training', caller);
    const reason = b.reason ?? 'requested through the trigger-model-training Edge Function';
    const id = await rpc<string>(env, 'sb_file_retrain_request', { p_force: b.force ?? false, p_reason: reason, p_requested_by: caller.sub });
    return json(202, { request_id: id }, cors);
  });
}
