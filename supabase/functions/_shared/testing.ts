/**
 * For the functions' deno tests: the daemon and the REST store they run against (started by
 * tests/edge/edge-functions.test.ts, which passes their URLs, keys and the JWT secret in the
 * environment), signed caller tokens, and a way to call a handler as the platform would.
 */
import type { FunctionEnv } from './http.ts';

function required(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set: run these tests through tests/edge/edge-functions.test.ts (npx vitest run tests/edge), which starts a daemon`);
  return v;
}

/** The daemon on loopback and its keys: prediction (ML_API_KEY, ml-predict's), admin, stream-only, and one limited to 1 request an hour. */
export const daemon = {
  url: required('ML_API_URL'),
  predictionKey: required('ML_API_KEY'),
  adminKey: required('SB_TEST_ADMIN_KEY'),
  streamKey: required('SB_TEST_STREAM_KEY'),
  limitedKey: required('SB_TEST_LIMITED_KEY'),
  /** A real candle file (Binance LTC/BTC 5m, freqtrade rows). */
  samplePath: required('SB_TEST_SAMPLE'),
};

export const JWT_SECRET = required('SB_JWT_SECRET');
/** A signed-in user, and an operator (app_metadata.signalbase_operator = true); their ids are in the environment so the harness can check what was recorded. */
export const USER_ID = required('SB_TEST_USER');
export const OPERATOR_ID = required('SB_TEST_OPERATOR');

export const env = (over: Partial<FunctionEnv> = {}): FunctionEnv => ({
  ML_API_URL: daemon.url,
  ML_API_KEY: daemon.predictionKey,
  SB_JWT_SECRET: JWT_SECRET,
  SB_OPERATOR_CLAIM: 'app_metadata.signalbase_operator',
  SUPABASE_URL: required('SUPABASE_URL'),
  SUPABASE_SERVICE_ROLE_KEY: required('SUPABASE_SERVICE_ROLE_KEY'),
  SB_FUNCTION_RATE_LIMIT: '1000',
  ...over,
});

const b64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const text = (o: unknown) => b64url(new TextEncoder().encode(JSON.stringify(o)));

/** A JWT as Supabase Auth issues them (HS256 over header.payload), signed with `secret`. */
export async function sign(claims: Record<string, unknown>, secret = JWT_SECRET, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): Promise<string> {
  const data = `${text(header)}.${text(claims)}`;
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const sig = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(data)));
  return `${data}.${b64url(sig)}`;
}

/** A JWS signed with an asymmetric key, as Supabase Auth issues them with signing keys (header alg and kid). */
export async function signWith(alg: 'ES256' | 'RS256', key: CryptoKey, claims: Record<string, unknown>, kid: string): Promise<string> {
  const data = `${text({ alg, typ: 'JWT', kid })}.${text(claims)}`;
  const params = alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
  return `${data}.${b64url(new Uint8Array(await crypto.subtle.sign(params, key, new TextEncoder().encode(data))))}`;
}

/**
 * The project's JWKS on loopback, shaped like Supabase Auth's GET /auth/v1/.well-known/jwks.json
 * ({"keys": [JWK with kid, alg, use: "sig"]}, RFC 7517 section 5); `url` is what SB_JWKS_URL names.
 * `close()` when done (the tests that use it turn deno's resource sanitizer off for the listener).
 */
export function serveJwks(keys: (JsonWebKey & { kid: string })[]): { url: string; fetches: () => number; close(): Promise<void> } {
  const stop = new AbortController();
  let fetches = 0;
  const server = Deno.serve({ hostname: '127.0.0.1', port: 0, signal: stop.signal, onListen() {} }, () => {
    fetches += 1;
    return Response.json({ keys });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/auth/v1/.well-known/jwks.json`,
    fetches: () => fetches,
    async close() {
      stop.abort();
      await server.finished;
    },
  };
}

export const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
export const userClaims = (sub = USER_ID, extra: Record<string, unknown> = {}) => ({ role: 'authenticated', aud: 'authenticated', sub, exp: inAnHour(), ...extra });
export const userToken = await sign(userClaims());
export const operatorToken = await sign(userClaims(OPERATOR_ID, { app_metadata: { signalbase_operator: true } }));
export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** What supabase-js functions.invoke sends for a signed-in user: the anon key as apikey, the user's JWT as bearer token. */
export const CALLER = { ...bearer(userToken), apikey: 'anon-key' };

export function request(method: string, path: string, opts: { body?: string | unknown; headers?: Record<string, string> } = {}): Request {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Request(`http://edge.local${path}`, {
    method,
    headers: { ...CALLER, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
    ...(body !== undefined ? { body } : {}),
  });
}

/** The daemon's own answer to a call, for comparing what a function passed through. */
export async function direct(method: 'GET' | 'POST', path: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${daemon.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return { status: res.status, code: String(body.error?.code), message: String(body.error?.message) };
}
