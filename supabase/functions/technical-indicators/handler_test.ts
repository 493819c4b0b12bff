/**
 * technical-indicators against the real daemon: the indicator snapshot by GET ?symbol= or POST
 * {symbol}, equal to the daemon's own answer; validation here; the daemon's 404 and its rate limit
 * (429 with Retry-After, exposed to browsers) passed through.
 */
import assert from 'node:assert/strict';
import { daemon, direct, env, errorOf, request } from '../_shared/testing.ts';
import { handler } from './handler.ts';

Deno.test('GET ?symbol= and POST {symbol} answer the daemon\'s snapshot', async () => {
  const expected = await direct('GET', `/v1/indicators/${encodeURIComponent('LTC/BTC')}`, daemon.adminKey);
  assert.equal(expected.status, 200);
  const get = await handler(request('GET', '/technical-indicators?symbol=LTC/BTC'), env());
  assert.equal(get.status, 200);
  assert.deepEqual(await get.json(), expected.json);
  const post = await handler(request('POST', '/', { body: { symbol: 'ltc_btc' } }), env());
  assert.equal(post.status, 200);
  assert.deepEqual(await post.json(), expected.json);
});

Deno.test('a missing or malformed symbol is 400 here', async () => {
  for (const path of ['/', '/?symbol=', '/?symbol=LTC%2F..%2FBTC', '/?symbol=' + 'A'.repeat(60)]) {
    const e = await errorOf(await handler(request('GET', path), env({ ML_API_URL: 'http://127.0.0.1:9' })));
    assert.deepEqual([e.status, e.code], [400, 'INVALID_REQUEST'], path);
  }
});

Deno.test('the daemon\'s 404 for a symbol it does not track passes through', async () => {
  const e = await errorOf(await handler(request('GET', '/?symbol=NOPE/BTC'), env()));
  const d = await direct('GET', `/v1/indicators/${encodeURIComponent('NOPE/BTC')}`, daemon.adminKey);
  assert.equal(e.status, 404);
  assert.deepEqual([e.status, e.code], [d.status, (d.json.error as { code: string }).code]);
});

Deno.test('the daemon\'s rate limit passes through as 429 with Retry-After', async () => {
  const limited = env({ ML_API_KEY: daemon.limitedKey });
  const first = await handler(request('GET', '/?symbol=LTC/BTC'), limited);
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const second = await handler(request('GET', '/?symbol=LTC/BTC'), limited);
  const retryAfter = second.headers.get('retry-after');
  const e = await errorOf(second);
  assert.equal(e.status, 429);
  assert.ok(Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
  assert.match(second.headers.get('access-control-expose-headers') ?? '', /retry-after/i);
});
