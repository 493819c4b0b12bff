/**
 * technical-indicators against the REST store (the harness's PostgREST in front of a migrated
 * database holding one stored LTC/BTC signal and, later, an API row over forged candles): the
 * latest stored SIGNAL and the weights by GET ?symbol= or POST {symbol}, never the API row; no
 * daemon key needed; validation here; 404 for a symbol with no signal; each user rate-limited.
 */
import assert from 'node:assert/strict';
import { bearer, env, errorOf, request, sign, userClaims } from '../_shared/testing.ts';
import { handler } from './handler.ts';

const SIGNAL_ENTRY = Number(Deno.env.get('SB_TEST_SIGNAL_ENTRY'));

Deno.test('GET ?symbol= and POST {symbol} answer the latest stored SIGNAL and the weights', async () => {
  const noDaemon = env({ ML_API_URL: undefined, ML_API_KEY: undefined });
  const get = await handler(request('GET', '/technical-indicators?symbol=LTC/BTC'), noDaemon);
  const body = await get.json();
  assert.equal(get.status, 200, JSON.stringify(body));
  assert.equal(body.symbol, 'LTC/BTC');
  assert.equal(body.signal.entry_price, SIGNAL_ENTRY);
  assert.equal(Object.keys(body.indicators).length, 17);
  assert.equal(Object.keys(body.weights).length, 17);
  const post = await handler(request('POST', '/', { body: { symbol: 'ltc_btc' } }), noDaemon);
  assert.equal(post.status, 200);
  assert.deepEqual(await post.json(), body);
});

Deno.test('a missing or malformed symbol is 400 here', async () => {
  for (const path of ['/', '/?symbol=', '/?symbol=LTC%2F..%2FBTC', '/?symbol=' + 'A'.repeat(60)]) {
    const e = await errorOf(await handler(request('GET', path), env()));
    assert.deepEqual([e.status, e.code], [400, 'INVALID_REQUEST'], path);
  }
});

Deno.test('a symbol with no stored signal is 404', async () => {
  const e = await errorOf(await handler(request('GET', '/?symbol=NOPE/BTC'), env()));
  assert.deepEqual([e.status, e.code], [404, 'UNKNOWN_SYMBOL']);
});

Deno.test('each user\'s hourly limit: 429 with Retry-After, exposed to browsers', async () => {
  const limited = env({ SB_FUNCTION_RATE_LIMIT: '1' });
  const me = bearer(await sign(userClaims(crypto.randomUUID())));
  const first = await handler(request('GET', '/?symbol=LTC/BTC', { headers: me }), limited);
  assert.equal(first.status, 200);
  await first.body?.cancel();
  const second = await handler(request('GET', '/?symbol=LTC/BTC', { headers: me }), limited);
  const retryAfter = second.headers.get('retry-after');
  const e = await errorOf(second);
  assert.equal(e.status, 429);
  assert.ok(Number(retryAfter) > 0, `Retry-After: ${retryAfter}`);
  assert.match(second.headers.get('access-control-expose-headers') ?? '', /retry-after/i);
});
