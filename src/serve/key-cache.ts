/**
 * A short-lived, bounded cache in front of validate_ml_api_key, so a busy client costs the store one
 * round trip per TTL instead of one per request.
 *
 * Consequence, by design: a revoked or expired key keeps working for at most `validTtlMs` (30 s by
 * default) after revocation. Rejections are cached for a shorter `invalidTtlMs`, so a key created a
 * moment ago works quickly and guessing keys still cannot hammer the store. A TTL of 0 disables
 * caching. Keys are held by their sha256, never in plain text. Concurrent lookups of one key share a
 * single store call. A failing store is not cached: the caller answers 503 and the next request retries.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../domain/clock.ts';
import type { ApiKeyValidation } from '../store/types.ts';
import type { KeyValidator } from './types.ts';

export interface KeyCacheOptions {
  validTtlMs: number;
  invalidTtlMs: number;
  maxEntries: number;
  clock: Clock;
}

interface Entry {
  value: ApiKeyValidation;
  expiresAt: number;
}

export class KeyCache implements KeyValidator {
  readonly #inner: KeyValidator;
  readonly #opts: KeyCacheOptions;
  // Insertion order doubles as LRU order: a hit is re-inserted at the end.
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Promise<ApiKeyValidation>>();

  constructor(inner: KeyValidator, opts: KeyCacheOptions) {
    this.#inner = inner;
    this.#opts = opts;
  }

  get size(): number {
    return this.#entries.size;
  }

  async validate(key: string): Promise<ApiKeyValidation> {
    const id = createHash('sha256').update(key).digest('base64url');
    const now = this.#opts.clock.now();
    const hit = this.#entries.get(id);
    if (hit) {
      this.#entries.delete(id);
      if (now < hit.expiresAt) {
        this.#entries.set(id, hit);
        return hit.value;
      }
    }
    const running = this.#inflight.get(id);
    if (running) return running;
    const p = this.#inner.validate(key).then(
      (value) => {
        this.#inflight.delete(id);
        this.#remember(id, value);
        return value;
      },
      (err: unknown) => {
        this.#inflight.delete(id);
        throw err;
      },
    );
    this.#inflight.set(id, p);
    return p;
  }

  /** Forgets everything (e.g. after an operator revokes keys and wants it effective now). */
  clear(): void {
    this.#entries.clear();
  }

  #remember(id: string, value: ApiKeyValidation): void {
    const ttl = value.isValid ? this.#opts.validTtlMs : this.#opts.invalidTtlMs;
    if (ttl <= 0 || this.#opts.maxEntries <= 0) return;
    this.#entries.set(id, { value, expiresAt: this.#opts.clock.now() + ttl });
    while (this.#entries.size > this.#opts.maxEntries) {
      const oldest = this.#entries.keys().next().value as string;
      this.#entries.delete(oldest);
    }
  }
}
