/**
 * Who may call what: the key from the request, validated (through the cache), charged against its
 * hourly limit, and checked against the route's allowed key types. Order: 429 TOO_MANY_FAILURES
 * (this address failed too often), 401 (no key; a malformed one, refused without a store call; an
 * unknown, revoked or expired one), then 429 RATE_LIMITED (every authenticated request counts,
 * refused ones included), then 403 (wrong key type). Each refused key is counted by reason.
 * The key itself never leaves this file: not in errors, not in logs, not in the Principal.
 */
import type { IncomingMessage } from 'node:http';
import type { ApiKeyType } from '../store/types.ts';
import { ApiError } from './errors.ts';
import type { FailureThrottle } from './failure-throttle.ts';
import type { RateLimiter } from './key-usage.ts';
import type { KeyValidator, Principal } from './types.ts';

/** Longer than any key signalbase issues; longer values are refused without a store call. */
const MAX_KEY_LENGTH = 256;
/** What create_ml_api_key issues: 'sb_' and 64 hex digits. */
export const SIGNALBASE_KEY_PATTERN = /^sb_[0-9a-f]{64}$/;

export type KeyFailure = 'missing' | 'malformed' | 'invalid' | 'throttled';

export interface AuthenticatorOptions {
  /** Keys that do not match are refused before the store (null: the validator decides). */
  keyPattern?: RegExp | null;
  throttle?: FailureThrottle;
  onFailure?: (reason: KeyFailure) => void;
}

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
  readonly #limiter: RateLimiter;
  readonly #opts: AuthenticatorOptions;

  constructor(keys: KeyValidator, limiter: RateLimiter, opts: AuthenticatorOptions = {}) {
    this.#keys = keys;
    this.#limiter = limiter;
    this.#opts = opts;
  }

  #refuse(reason: Exclude<KeyFailure, 'throttled'>, address: string | null): ApiError {
    this.#opts.onFailure?.(reason);
    if (reason !== 'missing' && address !== null) this.#opts.throttle?.fail(address);
    return reason === 'missing'
      ? new ApiError(401, 'MISSING_API_KEY', 'an API key is required: send Authorization: Bearer KEY or x-api-key', {
          headers: { 'WWW-Authenticate': 'Bearer' },
        })
      : new ApiError(401, 'INVALID_API_KEY', 'the API key is unknown, revoked or expired', {
          headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        });
  }

  /** Validates without charging the rate limit (used to re-check connected websocket clients). */
  async isStillValid(key: string): Promise<boolean> {
    return (await this.#lookup(key)) !== null;
  }

  /** `address`: the caller's network address, for the failure throttle (null: not throttled). */
  async authenticate(key: string | null, allowed: readonly ApiKeyType[] | 'any', address: string | null = null): Promise<Principal> {
    const blocked = address !== null ? (this.#opts.throttle?.blockedFor(address) ?? 0) : 0;
    if (blocked > 0) {
      this.#opts.onFailure?.('throttled');
      throw new ApiError(429, 'TOO_MANY_FAILURES', 'too many refused API keys from this address; wait before trying again', {
        headers: { 'Retry-After': String(blocked) },
      });
    }
    if (key === null) throw this.#refuse('missing', address);
    const pattern = this.#opts.keyPattern ?? null;
    if (pattern !== null && !pattern.test(key)) throw this.#refuse('malformed', address);
    const principal = await this.#lookup(key);
    if (!principal) throw this.#refuse('invalid', address);
    const rate = await this.#limiter.take(principal.keyId, principal.rateLimit);
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
