/**
 * Issue 13 item 8, the attack as reported: with the public anon key, or a made-up token,
 * trigger-model-training filed forced retrains with the daemon's admin key. Every function now
 * verifies the JWT in code: a forged signature, the anon key, an expired token, alg "none", a
 * tampered payload and a user token without sub are refused before anything else happens.
 */
import assert from 'node:assert/strict';
import { handler as indicators } from '../technical-indicators/handler.ts';
import { handler as predict } from '../ml-predict/handler.ts';
import { handler as training } from '../trigger-model-training/handler.ts';
import { bearer, env, errorOf, inAnHour, operatorToken, request, sign, userClaims } from './testing.ts';

const ALL = [
  ['ml-predict', predict, 'POST', { symbol: 'LTC/BTC' }],
  ['trigger-model-training', training, 'POST', { force: true }],
  ['technical-indicators', indicators, 'GET', undefined],
] as const;

const b64 = (o: unknown) => btoa(JSON.stringify(o)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function refusedTokens(): Promise<[string, string, number][]> {
  const [h, , s] = operatorToken.split('.');
  const escalated = b64({ ...userClaims(crypto.randomUUID()), role: 'service_role' });
  return [
    ['made up', 'not-a-jwt', 401],
    ['forged (another secret)', await sign({ role: 'service_role', exp: inAnHour() }, 'not-the-project-secret-at-all-0123456789'), 401],
    ['the anon key', await sign({ role: 'anon', iss: 'supabase', exp: inAnHour() }), 403],
    ['expired', await sign(userClaims(undefined, { exp: Math.floor(Date.now() / 1000) - 3600, app_metadata: { signalbase_operator: true } })), 401],
    ['no exp', await sign({ role: 'service_role' }), 401],
    ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ role: 'service_role', exp: inAnHour() })}.`, 401],
    ['tampered payload (role raised)', `${h}.${escalated}.${s}`, 401],
    ['authenticated without sub', await sign({ role: 'authenticated', exp: inAnHour() }), 401],
  ];
}

Deno.test('forged, anon, expired and tampered tokens are refused by every function', async () => {
  for (const [label, token, status] of await refusedTokens()) {
    for (const [name, handler, method, body] of ALL) {
      const res = await handler(request(method, '/?symbol=LTC/BTC', { headers: bearer(token), ...(body ? { body } : {}) }), env());
      const e = await errorOf(res);
      assert.equal(e.status, status, `${name}: ${label}: ${e.code} ${e.message}`);
      assert.equal(res.headers.get('access-control-allow-origin'), '*');
    }
  }
});

Deno.test('a valid user token gets through (the refusals above are about the token, not the request)', async () => {
  const res = await indicators(request('GET', '/?symbol=LTC/BTC'), env());
  assert.equal(res.status, 200);
  await res.body?.cancel();
});
