/**
 * Who is calling an Edge Function, verified in code (DESIGN.md "Access and integrity"), whatever
 * the platform's verify_jwt setting: the bearer token must be a JWT signed with the project's JWT
 * secret (HS256, SB_JWT_SECRET) or by a key of the project's JWKS (ES256 / RS256, SB_JWKS_URL,
 * e.g. https://<project>.supabase.co/auth/v1/.well-known/jwks.json), unexpired, with role
 * `authenticated` (and a user id in `sub`) or `service_role`. The anon key (role `anon`), a
 * made-up or tampered token, an expired one, alg `none`: 401.
 *
 * Retraining needs an operator: the service role, or an authenticated user whose claim at
 * SB_OPERATOR_CLAIM (a dotted path such as app_metadata.signalbase_operator) is true.
 */
import { HttpError } from './http.ts';

export interface AuthEnv {
  SB_JWT_SECRET?: string | undefined;
  SB_JWKS_URL?: string | undefined;
  SB_OPERATOR_CLAIM?: string | undefined;
}

export interface Caller {
  role: 'authenticated' | 'service_role';
  /** The user id (authenticated callers); null for the service role. */
  sub: string | null;
  claims: Record<string, unknown>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Clock skew tolerated on exp and nbf, seconds. */
const LEEWAY_S = 30;

const refuse = (message: string) =>
  new HttpError(401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });

function b64url(s: string): Uint8Array<ArrayBuffer> {
  const b64 = s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4);
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function jsonPart(s: string): Record<string, unknown> {
  try {
    const v = JSON.parse(new TextDecoder().decode(b64url(s)));
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw refuse('the bearer token is not a JWT');
}

let jwksCache: { url: string; at: number; keys: JsonWebKey[] } | null = null;
/** A JWKS answer is kept this long; a kid it lacks refetches it, at most once a minute (rotation). */
const JWKS_TTL_MS = 600_000;
const JWKS_REFETCH_MS = 60_000;

async function jwks(url: string, kid: unknown): Promise<JsonWebKey[]> {
  const cached = jwksCache?.url === url ? jwksCache : null;
  const age = cached ? Date.now() - cached.at : Infinity;
  const known = cached?.keys.some((k) => (k as { kid?: unknown }).kid === kid) ?? false;
  if (cached && age < JWKS_TTL_MS && (known || age < JWKS_REFETCH_MS)) return cached.keys;
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new HttpError(503, 'JWKS_UNAVAILABLE', `the project's JWKS (${new URL(url).host}) answered ${res.status}`);
  const body = (await res.json()) as { keys?: unknown };
  jwksCache = { url, at: Date.now(), keys: Array.isArray(body.keys) ? (body.keys as JsonWebKey[]) : [] };
  return jwksCache.keys;
}

/** What a JWKS key must be to verify `alg` (RFC 7517/7518): the right kty (and curve), alg and use if stated, RSA of 2048 bits or more. */
function keyFits(jwk: JsonWebKey & { kid?: unknown }, alg: 'ES256' | 'RS256'): boolean {
  if (jwk.alg !== undefined && jwk.alg !== alg) return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (jwk.key_ops !== undefined && !jwk.key_ops.includes('verify')) return false;
  if (alg === 'ES256') return jwk.kty === 'EC' && jwk.crv === 'P-256';
  return jwk.kty === 'RSA' && typeof jwk.n === 'string' && Math.floor((jwk.n.replace(/=+$/, '').length * 6) / 8) >= 256;
}

async function signatureValid(alg: string, kid: unknown, data: Uint8Array<ArrayBuffer>, sig: Uint8Array<ArrayBuffer>, env: AuthEnv): Promise<boolean> {
  // Each alg is checked only with its own kind of key: an HS256 token never meets a JWKS key (so
  // the public RSA key cannot serve as an HMAC secret), an RS256/ES256 one never the secret.
  if (alg === 'HS256') {
    const secret = env.SB_JWT_SECRET;
    if (!secret) return false;
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['verify']);
    // crypto.subtle.verify compares in constant time.
    return crypto.subtle.verify('HMAC', key, sig, data);
  }
  if ((alg === 'ES256' || alg === 'RS256') && env.SB_JWKS_URL && typeof kid === 'string') {
    const jwk = (await jwks(env.SB_JWKS_URL, kid)).find((k) => (k as { kid?: unknown }).kid === kid);
    if (!jwk || !keyFits(jwk, alg)) return false;
    const { alg: _a, use: _u, key_ops: _o, ext: _e, ...material } = jwk;
    try {
      if (alg === 'ES256') {
        const key = await crypto.subtle.importKey('jwk', material, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
        return await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, sig, data);
      }
      const key = await crypto.subtle.importKey('jwk', material, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
      return await crypto.subtle.verify('RSASSA-PKCS1-v1_5', key, sig, data);
    } catch {
      return false; // a malformed key or signature is a token that does not verify, not a 500
    }
  }
  return false;
}

/** The verified caller of `req`; throws 401 (or 500 when no verification is configured). */
export async function verifyCaller(req: Request, env: AuthEnv, now = Date.now()): Promise<Caller> {
  if (!env.SB_JWT_SECRET && !env.SB_JWKS_URL) {
    throw new HttpError(500, 'MISCONFIGURED', 'the function cannot verify callers: set SB_JWT_SECRET (the project JWT secret) or SB_JWKS_URL');
  }
  const m = /^Bearer\s+(\S+)$/i.exec((req.headers.get('authorization') ?? '').trim());
  if (!m) throw refuse('send a user JWT as Authorization: Bearer <token> (supabase-js functions.invoke does when signed in)');
  const parts = m[1]!.split('.');
  if (parts.length !== 3) throw refuse('the bearer token is not a JWT');
  const [h, p, s] = parts as [string, string, string];
  const header = jsonPart(h);
  const claims = jsonPart(p);
  let sig: Uint8Array<ArrayBuffer>;
  try {
    sig = b64url(s);
  } catch {
    throw refuse('the bearer token is not a JWT');
  }
  const ok = await signatureValid(String(header.alg), header.kid, new TextEncoder().encode(`${h}.${p}`), sig, env);
  if (!ok) throw refuse('the token\'s signature does not verify with this project\'s keys');
  const nowS = now / 1000;
  if (typeof claims.exp !== 'number' || claims.exp + LEEWAY_S < nowS) throw refuse('the token has expired (or has no exp); sign in again');
  if (typeof claims.nbf === 'number' && claims.nbf - LEEWAY_S > nowS) throw refuse('the token is not valid yet');
  const role = claims.role;
  if (role === 'service_role') return { role, sub: null, claims };
  if (role === 'authenticated') {
    if (typeof claims.sub !== 'string' || !UUID.test(claims.sub)) throw refuse('an authenticated token needs the user id in sub');
    return { role, sub: claims.sub.toLowerCase(), claims };
  }
  throw new HttpError(403, 'FORBIDDEN_ROLE', `role ${JSON.stringify(role)} may not call this function; sign in (role authenticated)`);
}

/** The claim at a dotted path, e.g. app_metadata.signalbase_operator. */
function claimAt(claims: Record<string, unknown>, path: string): unknown {
  let v: unknown = claims;
  for (const k of path.split('.')) v = v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
  return v;
}

/** Retraining: the service role, or an authenticated user whose SB_OPERATOR_CLAIM is true; else 403. */
export function requireOperator(caller: Caller, env: AuthEnv): void {
  if (caller.role === 'service_role') return;
  const path = env.SB_OPERATOR_CLAIM?.trim();
  if (path && claimAt(caller.claims, path) === true) return;
  throw new HttpError(403, 'NOT_AN_OPERATOR', path
    ? `retraining needs an operator: the service role, or a user whose ${path} claim is true`
    : 'retraining needs an operator: the service role (no operator claim is configured: SB_OPERATOR_CLAIM)');
}
