/**
 * ml-predict against the real daemon: a signal for a tracked symbol, a signal from candles sent in
 * the body (real Binance candles), the function's own validation (400, 413) before any daemon
 * call, and the daemon's refusals passed through with their status and code.
 */
import assert from 'node:assert/strict';
import { bearer, daemon, direct, env, errorOf, request, sign, userClaims } from '../_shared/testing.ts';
import { handler } from './handler.ts';

const DIRECTIONS = ['BUY', 'SELL', 'HOLD'];

function assertSignal(s: Record<string, unknown>, symbol: string): void {
  assert.equal(s.symbol, symbol);
  assert.match(String(s.id), /^[0-9a-f-]{36}$/);
  assert.ok(DIRECTIONS.includes(String(s.predicted_direction)));
  const p = s.probabilities as Record<string, number>;
  assert.ok(Math.abs(p.BUY + p.SELL + p.HOLD - 1) < 1e-6, JSON.stringify(p));
  assert.equal(Object.keys(s.technical_indicators as object).length, 17);
}

Deno.test('a tracked symbol: the daemon\'s Signal, with CORS headers', async () => {
  const res = await handler(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env());
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('access-control-allow-origin'), '*');
  assertSignal(await res.json(), 'LTC/BTC');
});

Deno.test('candles in the body: the signal is computed on the last of them', async () => {
  const rows = JSON.parse(await Deno.readTextFile(daemon.samplePath)) as number[][];
  const candles = rows.slice(1_000, 1_110); // the daemon's most: warm-up 50 + one window of 60
  const res = await handler(request('POST', '/', { body: { symbol: 'ltc-btc', candles } }), env());
  const s = await res.json();
  assert.equal(res.status, 200, JSON.stringify(s));
  assertSignal(s, 'LTC/BTC');
  assert.equal(s.candle_time, new Date(candles.at(-1)![0]!).toISOString());
});

Deno.test('an invalid body is refused here with 400, naming the field', async () => {
  const cases: [unknown, string, RegExp][] = [
    [{}, 'INVALID_REQUEST', /symbol/],
    [{ symbol: 'LTC/BTC', candles: [[1, 2]] }, 'INVALID_REQUEST', /candles/],
    [{ symbol: 'LTC/BTC', candles: [] }, 'INVALID_REQUEST', /candles/],
    [{ symbol: '../../etc' }, 'INVALID_REQUEST', /symbol/],
    ['{"symbol": ', 'INVALID_JSON', /JSON/],
  ];
  for (const [body, code, message] of cases) {
    const e = await errorOf(await handler(request('POST', '/', { body }), env()));
    assert.deepEqual([e.status, e.code], [400, code], JSON.stringify(body));
    assert.match(e.message, message);
  }
});

Deno.test('a body over 256 KiB is 413, and so are more candles than warm-up plus one window', async () => {
  const rows = JSON.parse(await Deno.readTextFile(daemon.samplePath)) as number[][];
  const many = await errorOf(await handler(request('POST', '/', { body: { symbol: 'LTC/BTC', candles: rows.slice(0, 111) } }), env()));
  assert.deepEqual([many.status, many.code], [400, 'INVALID_REQUEST']);
  const big = JSON.stringify({ symbol: 'LTC/BTC', pad: 'x'.repeat(256 * 1024) });
  const e = await errorOf(await handler(request('POST', '/', { body: big }), env()));
  assert.deepEqual([e.status, e.code], [413, 'PAYLOAD_TOO_LARGE']);
});

Deno.test('the daemon\'s refusals pass through: unknown symbol, and a key that may not predict', async () => {
  const unknown = await errorOf(await handler(request('POST', '/', { body: { symbol: 'NOPE/BTC' } }), env()));
  const unknownDirect = await direct('POST', '/v1/predict', daemon.adminKey, { symbol: 'NOPE/BTC' });
  assert.ok(unknown.status >= 400);
  assert.deepEqual([unknown.status, unknown.code], [unknownDirect.status, (unknownDirect.json.error as { code: string }).code]);

  const forbidden = await errorOf(await handler(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_KEY: daemon.streamKey })));
  const forbiddenDirect = await direct('POST', '/v1/predict', daemon.streamKey, { symbol: 'LTC/BTC' });
  assert.equal(forbidden.status, 403);
  assert.deepEqual([forbidden.status, forbidden.code], [forbiddenDirect.status, (forbiddenDirect.json.error as { code: string }).code]);

  const badKey = await errorOf(await handler(request('POST', '/', { body: { symbol: 'LTC/BTC' } }), env({ ML_API_KEY: 'sb_not_a_key' })));
  assert.equal(badKey.status, 401);
});

Deno.test('each user is limited by its own identity, not by the function\'s one daemon key', async () => {
  const limited = env({ SB_FUNCTION_RATE_LIMIT: '2' });
  const alice = bearer(await sign(userClaims(crypto.randomUUID())));
  const bob = bearer(await sign(userClaims(crypto.randomUUID())));
  const call = async (h: Record<string, string>) => {
    const res = await handler(request('POST', '/', { body: { symbol: 'LTC/BTC' }, headers: h }), limited);
    await res.body?.cancel();
    return [res.status, res.headers.get('retry-after')] as const;
  };
  assert.equal((await call(alice))[0], 200);
  assert.equal((await call(alice))[0], 200);
  const [status, retry] = await call(alice);
  assert.equal(status, 429);
  assert.ok(Number(retry) > 0);
  assert.equal((await call(bob))[0], 200);
});
