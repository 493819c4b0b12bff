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

Deno.test({
  name: 'a token signed by a key of the project\'s JWKS (ES256) is accepted; one signed by another key is not',
  // The JWKS server is torn down at the end; its listener would trip the sanitizers.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const jwk = { ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' };
    const stop = new AbortController();
    const server = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: stop.signal, onListen() {} }, () => Response.json({ keys: [jwk] }));
    const es256 = async (key: CryptoKey, claims: Record<string, unknown>) => {
      const data = `${b64({ alg: 'ES256', typ: 'JWT', kid: 'key-1' })}.${b64(claims)}`;
      const sig = new Uint8Array(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(data)));
      return `${data}.${btoa(String.fromCharCode(...sig)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
    };
    try {
      const jwksEnv = env({ SB_JWT_SECRET: undefined, SB_JWKS_URL: `http://127.0.0.1:${server.addr.port}/auth/v1/.well-known/jwks.json` });
      const good = await indicators(request('GET', '/?symbol=LTC/BTC', { headers: bearer(await es256(pair.privateKey, userClaims())) }), jwksEnv);
      assert.equal(good.status, 200);
      await good.body?.cancel();
      const bad = await errorOf(await indicators(request('GET', '/?symbol=LTC/BTC', { headers: bearer(await es256(other.privateKey, userClaims())) }), jwksEnv));
      assert.equal(bad.status, 401);
      // An HS256 token is refused when only the JWKS is configured (no secret to check it with).
      const hs = await errorOf(await indicators(request('GET', '/?symbol=LTC/BTC'), jwksEnv));
      assert.equal(hs.status, 401);
    } finally {
      stop.abort();
      await server.finished;
    }
  },
});
