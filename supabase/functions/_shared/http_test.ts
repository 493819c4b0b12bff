/**
 * What every function does before and around its work: CORS preflight without credentials,
 * CORS headers on every answer, the caller's Authorization required, 405 for other methods,
 * 500 when unconfigured, and for ml-predict (the one function that calls the daemon) 502 when the
 * daemon is unreachable, 504 when it does not answer in time.
 */
import assert from 'node:assert/strict';
import { handler as indicators } from '../technical-indicators/handler.ts';
import { handler as predict } from '../ml-predict/handler.ts';
import { handler as training } from '../trigger-model-training/handler.ts';
import { bearer, env, errorOf, operatorToken, request } from './testing.ts';

const ALL = [
  ['ml-predict', predict, 'POST'],
  ['trigger-model-training', training, 'POST'],
  ['technical-indicators', indicators, 'GET'],
] as const;

Deno.test('OPTIONS preflight answers 204 with the CORS headers, no credentials needed', async () => {
  for (const [name, handler, method] of ALL) {
    const res = await handler(new Request('http://edge.local/', { method: 'OPTIONS', headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': method } }), env());
    assert.equal(res.status, 204, name);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /authorization/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /apikey/);
    assert.match(res.headers.get('access-control-allow-methods') ?? '', new RegExp(method));
    await res.body?.cancel();
  }
});

Deno.test('a request without Authorization is refused with 401 JSON, CORS headers included', async () => {
  for (const [name, handler, method] of ALL) {
    const res = await handler(new Request('http://edge.local/?symbol=LTC/BTC', { method, ...(method === 'POST' ? { body: '{}' } : {}) }), env());
    const e = await errorOf(res);
    assert.deepEqual([e.status, e.code], [401, 'UNAUTHORIZED'], name);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    assert.equal(res.headers.get('content-type'), 'application/json');
  }
});

Deno.test('another method is 405 with Allow', async () => {
  const res = await predict(request('GET', '/'), env());
  assert.equal((await errorOf(res)).code, 'METHOD_NOT_ALLOWED');
  assert.equal(res.status, 405);
  assert.equal(res.headers.get('allow'), 'POST, OPTIONS');
});

Deno.test('without ML_API_URL or ML_API_KEY ml-predict says which secret to set (500)', async () => {
  const noUrl = await errorOf(await predict(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_URL: undefined })));
  assert.deepEqual([noUrl.status, noUrl.code], [500, 'MISCONFIGURED']);
  assert.match(noUrl.message, /ML_API_URL/);
  const noKey = await errorOf(await predict(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_KEY: '' })));
  assert.match(noKey.message, /ML_API_KEY/);
});

Deno.test('the other two functions hold no daemon key: they answer with ML_API_URL and ML_API_KEY unset', async () => {
  const noDaemon = env({ ML_API_URL: undefined, ML_API_KEY: undefined });
  const ind = await indicators(request('GET', '/?symbol=LTC/BTC'), noDaemon);
  assert.equal(ind.status, 200, JSON.stringify(await ind.clone().json()));
  await ind.body?.cancel();
  const train = await training(request('POST', '/', { headers: bearer(operatorToken) }), noDaemon);
  assert.equal(train.status, 202);
  await train.body?.cancel();
});

Deno.test('without SB_JWT_SECRET or SB_JWKS_URL a function cannot verify callers and says so (500)', async () => {
  const e = await errorOf(await indicators(request('GET', '/?symbol=LTC/BTC'), env({ SB_JWT_SECRET: undefined })));
  assert.deepEqual([e.status, e.code], [500, 'MISCONFIGURED']);
  assert.match(e.message, /SB_JWT_SECRET/);
});

Deno.test('a daemon that cannot be reached is 502 UPSTREAM_UNREACHABLE', async () => {
  // A port that was just free: nothing listens there.
  const l = Deno.listen({ hostname: '127.0.0.1', port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  const e = await errorOf(await predict(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_URL: `http://127.0.0.1:${port}` })));
  assert.deepEqual([e.status, e.code], [502, 'UPSTREAM_UNREACHABLE']);
});

Deno.test({
  name: 'a daemon that does not answer in time is 504 UPSTREAM_TIMEOUT, after the timeout and not much later',
  // The stalled server's pending request is torn down with it; Deno's op sanitizer would flag it.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const stop = new AbortController();
    let release!: () => void;
    const stalled = new Promise<void>((resolve) => (release = resolve));
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: stop.signal, onListen() {} }, async () => {
      await stalled;
      return new Response('{}');
    });
    try {
      const t = performance.now();
      const res = await predict(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_URL: `http://127.0.0.1:${server.addr.port}`, ML_API_TIMEOUT_MS: '300' }));
      const took = performance.now() - t;
      const e = await errorOf(res);
      assert.deepEqual([e.status, e.code], [504, 'UPSTREAM_TIMEOUT']);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
      assert.ok(took >= 290 && took < 3_000, `took ${took} ms`);
    } finally {
      release();
      stop.abort();
      await server.finished;
    }
  },
});
