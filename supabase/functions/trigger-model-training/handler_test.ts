/**
 * trigger-model-training against the real daemon: an admin key files a retrain request (202 with
 * its id), a non-admin key gets the daemon's 403, and a body with unknown fields is refused here.
 */
import assert from 'node:assert/strict';
import { daemon, env, errorOf, request } from '../_shared/testing.ts';
import { handler } from './handler.ts';

Deno.test('files a retrain request: 202 with the request id', async () => {
  const res = await handler(request('POST', '/', { body: { reason: 'edge function test' } }), env());
  const body = await res.json();
  assert.equal(res.status, 202, JSON.stringify(body));
  assert.match(String(body.request_id), /^[0-9a-f-]{36}$/);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
});

Deno.test('an empty body is a plain request', async () => {
  const res = await handler(request('POST', '/'), env());
  assert.equal(res.status, 202);
  await res.body?.cancel();
});

Deno.test('a key that is not admin gets the daemon\'s 403', async () => {
  const e = await errorOf(await handler(request('POST', '/', { body: { force: true } }), env({ ML_API_KEY: daemon.streamKey })));
  assert.equal(e.status, 403);
});

Deno.test('unknown fields and wrong types are 400 before the daemon is called', async () => {
  for (const body of [{ force: 'yes' }, { reason: 'x', model_version: 'v1' }, { reason: '' }]) {
    const e = await errorOf(await handler(request('POST', '/', { body }), env({ ML_API_URL: 'http://127.0.0.1:9' })));
    assert.deepEqual([e.status, e.code], [400, 'INVALID_REQUEST'], JSON.stringify(body));
  }
});
