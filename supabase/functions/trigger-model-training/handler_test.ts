/**
 * trigger-model-training: an operator (a user whose app_metadata.signalbase_operator is true, or
 * the service role) files a retrain request in the store itself (202 with its id; the harness
 * checks the row's requested_by afterwards); a signed-in user who is not an operator gets 403;
 * a body with unknown fields is refused here. No daemon key is configured for it.
 */
import assert from 'node:assert/strict';
import { bearer, env, errorOf, inAnHour, operatorToken, request, sign } from '../_shared/testing.ts';
import { handler } from './handler.ts';

const noDaemon = () => env({ ML_API_URL: undefined, ML_API_KEY: undefined });
const asOperator = { headers: bearer(operatorToken) };

Deno.test('an operator files a retrain request: 202 with the request id', async () => {
  const res = await handler(request('POST', '/', { body: { reason: 'edge function test' }, ...asOperator }), noDaemon());
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  assert.match(String(body.request_id), /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

Deno.test('the service role is an operator; an empty body is a plain request', async () => {
  const service = await sign({ role: 'service_role', exp: inAnHour() });
  const res = await handler(request('POST', '/', { headers: bearer(service) }), noDaemon());
  assert.equal(res.status, 202);
  await res.body?.cancel();
});

Deno.test('a signed-in user who is not an operator gets 403', async () => {
  const e = await errorOf(await handler(request('POST', '/', { body: { force: true } }), noDaemon()));
  assert.deepEqual([e.status, e.code], [403, 'NOT_AN_OPERATOR']);
  // Without SB_OPERATOR_CLAIM configured, even the claim does not make a user an operator.
  const off = await errorOf(await handler(request('POST', '/', asOperator), env({ SB_OPERATOR_CLAIM: undefined })));
  assert.deepEqual([off.status, off.code], [403, 'NOT_AN_OPERATOR']);
});

Deno.test('unknown fields and wrong types are 400', async () => {
  for (const body of [{ force: 'yes' }, { reason: 'x', model_version: 'v1' }, { reason: '' }]) {
    const e = await errorOf(await handler(request('POST', '/', { body, ...asOperator }), noDaemon()));
    assert.deepEqual([e.status, e.code], [400, 'INVALID_REQUEST'], JSON.stringify(body));
  }
});
