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
import { bearer, env, errorOf, inAnHour, operatorToken, request, serveJwks, sign, signWith, userClaims } from './testing.ts';

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

const SYMBOL = '/?symbol=LTC/BTC';

/** Every function answers `token` with `status` under `fnEnv`. */
async function refusedEverywhere(label: string, token: string, fnEnv: ReturnType<typeof env>, status = 401): Promise<void> {
  for (const [name, handler, method, body] of ALL) {
    const e = await errorOf(await handler(request(method, SYMBOL, { headers: bearer(token), ...(body ? { body } : {}) }), fnEnv));
    assert.equal(e.status, status, `${name}: ${label}: ${e.code} ${e.message}`);
  }
}

async function accepted(token: string, fnEnv: ReturnType<typeof env>): Promise<void> {
  const res = await indicators(request('GET', SYMBOL, { headers: bearer(token) }), fnEnv);
  assert.equal(res.status, 200, await res.clone().text());
  await res.body?.cancel();
}

const spkiPem = async (key: CryptoKey) => {
  const der = new Uint8Array(await crypto.subtle.exportKey('spki', key));
  const b = btoa(String.fromCharCode(...der)).replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PUBLIC KEY-----\n${b}\n-----END PUBLIC KEY-----\n`;
};

Deno.test({
  name: 'a token signed by a key of the project\'s JWKS (ES256) is accepted; one signed by another key is not',
  // The JWKS server is torn down at the end; its listener would trip the sanitizers.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const other = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const jwks = serveJwks([{ ...(await crypto.subtle.exportKey('jwk', pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }]);
    try {
      const jwksEnv = env({ SB_JWT_SECRET: undefined, SB_JWKS_URL: jwks.url });
      await accepted(await signWith('ES256', pair.privateKey, userClaims(), 'key-1'), jwksEnv);
      await refusedEverywhere('ES256 by another key', await signWith('ES256', other.privateKey, userClaims(), 'key-1'), jwksEnv);
      // An HS256 token is refused when only the JWKS is configured (no secret to check it with).
      await refusedEverywhere('HS256 with no secret configured', await sign(userClaims()), jwksEnv);
    } finally {
      await jwks.close();
    }
  },
});

Deno.test({
  name: 'RS256 (a real RSA key pair, JWKS on loopback): its token is accepted; another key, an unknown kid, an expired token, alg none and HS256 over the public key are refused',
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const rsa = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const pair = await crypto.subtle.generateKey(rsa, true, ['sign', 'verify']) as CryptoKeyPair;
    const other = await crypto.subtle.generateKey(rsa, true, ['sign', 'verify']) as CryptoKeyPair;
    const ec = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const publicJwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    const jwks = serveJwks([{ ...publicJwk, kid: 'rsa-1', alg: 'RS256', use: 'sig' }]);
    try {
      const jwksOnly = env({ SB_JWT_SECRET: undefined, SB_JWKS_URL: jwks.url });
      const withSecret = env({ SB_JWKS_URL: jwks.url }); // the project's JWT secret configured too
      const good = await signWith('RS256', pair.privateKey, userClaims(), 'rsa-1');
      await accepted(good, jwksOnly);
      await accepted(good, withSecret);

      const admin = { role: 'service_role', exp: inAnHour() };
      const hsHeader = { alg: 'HS256', typ: 'JWT', kid: 'rsa-1' };
      const [h, , s] = good.split('.');
      const refused: [string, string][] = [
        ['signed by an RSA key not in the JWKS (same kid)', await signWith('RS256', other.privateKey, admin, 'rsa-1')],
        ['a kid the JWKS does not have', await signWith('RS256', other.privateKey, admin, 'rsa-2')],
        ['no kid', `${b64({ alg: 'RS256', typ: 'JWT' })}.${good.split('.')[1]}.${s}`],
        ['expired', await signWith('RS256', pair.privateKey, userClaims(undefined, { exp: Math.floor(Date.now() / 1000) - 3600 }), 'rsa-1')],
        ['alg none', `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${b64(admin)}.`],
        ['alg none, the real signature kept', `${b64({ alg: 'none', typ: 'JWT', kid: 'rsa-1' })}.${good.split('.')[1]}.${s}`],
        ['HS256 with the PEM public key as secret', await sign(admin, await spkiPem(pair.publicKey), hsHeader)],
        ['HS256 with the JWK (JSON) as secret', await sign(admin, JSON.stringify(publicJwk), hsHeader)],
        ['HS256 with the modulus as secret', await sign(admin, publicJwk.n!, hsHeader)],
        ['ES256 header naming the RSA key', await signWith('ES256', ec.privateKey, admin, 'rsa-1')],
        ['tampered payload (role raised)', `${h}.${b64({ ...userClaims(), role: 'service_role' })}.${s}`],
      ];
      for (const [label, token] of refused) {
        await refusedEverywhere(`${label} (JWKS only)`, token, jwksOnly);
        await refusedEverywhere(`${label} (JWKS and secret)`, token, withSecret);
      }
      // Unknown kids did not make the functions fetch the JWKS per request: once, at the first token.
      assert.equal(jwks.fetches(), 1);
    } finally {
      await jwks.close();
    }
  },
});
