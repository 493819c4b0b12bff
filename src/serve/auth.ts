/**
 * Who may call what: the key from the request, validated (through the cache), charged against its
 * hourly limit, and checked against the route's allowed key types. Order: 401 (no or bad key), then
 * 429 (every authenticated request counts, refused ones included), then 403 (wrong key type).
 * The key itself never leaves this file: not in errors, not in logs, not in the Principal.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiKeyType } from '../store/types.ts';
import { ApiError } from './errors.ts';
import type { HourlyRateLimiter } from './rate-limiter.ts';
import type { KeyValidator, Principal } from './types.ts';

/** Longer than any key signalbase issues; longer values are refused without a store call. */
const MAX_KEY_LENGTH = 256;

/** The key from `Authorization: Bearer KEY`, `x-api-key`, or (websocket only) `?key=`. */
export function extractKey(req: IncomingMessage, url: URL | null): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1]!;
  }
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x.trim() !== '') return x.trim();
  const q = url?.searchParams.get('key');
  return q && q.trim() !== '' ? q.trim() : null;
}

export class Authenticator {
  readonly #keys: KeyValidator;
  readonly #limiter: HourlyRateLimiter;

  constructor(keys: KeyValidator, limiter: HourlyRateLimiter) {
    this.#keys = keys;
    this.#limiter = limiter;
  }

  /** Validates without charging the rate limit (used to re-check connected websocket clients). */
  async isStillValid(key: string): Promise<boolean> {
    return (await this.#lookup(key)) !== null;
  }

  async authenticate(key: string | null, allowed: readonly ApiKeyType[] | 'any'): Promise<Principal> {
    if (key === null) {
      throw new ApiError(401, 'MISSING_API_KEY', 'an API key is required: send Authorization: Bearer KEY or x-api-key', {
        headers: { 'WWW-Authenticate': 'Bearer' },
      });
    }
    const principal = await this.#lookup(key);
    if (!principal) {
      throw new ApiError(401, 'INVALID_API_KEY', 'the API key is unknown, revoked or expired', {
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
      });
    }
    const rate = this.#limiter.take(principal.keyId, principal.rateLimit);
    if (!rate.allowed) {
      throw new ApiError(429, 'RATE_LIMITED', `hourly limit of ${principal.rateLimit} requests reached for this key`, {
        headers: { 'Retry-After': String(rate.retryAfterSeconds) },
        context: { keyId: principal.keyId },
      });
    }
    if (allowed !== 'any' && !allowed.includes(principal.keyType)) {
      throw new ApiError(403, 'FORBIDDEN_KEY_TYPE', `this route needs a key of type ${allowed.join(' or ')}; this key is ${principal.keyType}`);
    }
    return principal;
  }

  async #lookup(key: string): Promise<Principal | null> {
    if (key.length > MAX_KEY_LENGTH) return null;
    let v;
    try {
      v = await this.#keys.validate(key);
    } catch (err) {
      throw new ApiError(503, 'KEY_CHECK_UNAVAILABLE', 'the API key could not be checked (store unavailable); try again shortly', {
        cause: err,
      });
    }
    if (!v.isValid || v.keyType === null) return null;
    return {
      keyId: v.keyId ?? `anon:${v.keyName ?? ''}`,
      keyName: v.keyName,
      keyType: v.keyType,
      rateLimit: v.rateLimit !== null && v.rateLimit >= 0 ? v.rateLimit : null,
    };
  }
}
