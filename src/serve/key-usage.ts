/**
 * Hourly key limits counted in the store (DESIGN.md "Access and integrity"): one row per key and
 * UTC hour (ml_api_key_usage), reserved atomically by sb_reserve_key_usage, so a key limited to N
 * an hour gets N in all, across instances and restarts.
 *
 * The hot path batches: a key reserves up to `batchFor(limit)` requests at a time and spends them
 * locally. Reservations are taken before they are spent, so the store's count never passes the
 * limit; the cost is that requests reserved by an instance and not spent by the end of the hour are
 * lost (at most one batch per instance and key). A key that got nothing this hour is refused
 * locally until the hour turns (a count never goes down within its hour).
 *
 * When the store cannot be reached the key is charged against the in-memory limiter instead, so a
 * store outage costs the cross-instance guarantee, not the service (the failure is logged).
 */
import type { Logger } from '../log.ts';
import type { HourlyRateLimiter, RateDecision } from './rate-limiter.ts';
import type { Clock } from '../domain/clock.ts';

/** The store's reservation: how many of `want` requests of `limit` were granted in the hour holding atMs. */
export interface KeyUsage {
  reserve(keyId: string, atMs: number, want: number, limit: number): Promise<number>;
}

/** What the Authenticator charges a request against. */
export interface RateLimiter {
  take(id: string, limit: number | null): RateDecision | Promise<RateDecision>;
}

const HOUR_MS = 3_600_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Requests reserved per store round trip: 1 for small limits, at most 20, about 1 % of the limit. */
export function batchFor(limit: number): number {
  return Math.max(1, Math.min(20, Math.floor(limit / 100)));
}

interface KeyHour {
  hour: number;
  /** Reserved in the store and not spent yet. */
  left: number;
  /** The store granted nothing more this hour. */
  exhausted: boolean;
  pending: Promise<void> | null;
}

export class StoreRateLimiter implements RateLimiter {
  readonly #usage: KeyUsage;
  readonly #fallback: HourlyRateLimiter;
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #log: Logger;
  readonly #keys = new Map<string, KeyHour>();

  constructor(opts: { usage: KeyUsage; fallback: HourlyRateLimiter; clock: Clock; maxKeys: number; log: Logger }) {
    this.#usage = opts.usage;
    this.#fallback = opts.fallback;
    this.#clock = opts.clock;
    this.#maxKeys = opts.maxKeys;
    this.#log = opts.log;
  }

  async take(id: string, limit: number | null): Promise<RateDecision> {
    if (limit === null || !Number.isFinite(limit)) return { allowed: true, remaining: Infinity, retryAfterSeconds: 0 };
    // Keys without a store id (none that validate_ml_api_key returns) are counted in memory.
    if (!UUID.test(id)) return this.#fallback.take(id, limit);
    for (;;) {
      const now = this.#clock.now();
      const hour = Math.floor(now / HOUR_MS);
      const k = this.#entry(id, hour);
      if (k.left > 0) {
        k.left -= 1;
        return { allowed: true, remaining: k.left, retryAfterSeconds: 0 };
      }
      if (k.exhausted) return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(((hour + 1) * HOUR_MS - now) / 1000)) };
      if (k.pending) {
        await k.pending;
        continue;
      }
      let failed = false;
      k.pending = this.#usage.reserve(id, now, batchFor(limit), limit).then(
        (granted) => {
          if (granted > 0) k.left += granted;
          else k.exhausted = true;
        },
        (err: unknown) => {
          failed = true;
          this.#log.warn({ err, keyId: id }, 'key usage could not be counted in the store; counting this request in memory');
        },
      );
      await k.pending;
      k.pending = null;
      if (failed) return this.#fallback.take(id, limit);
    }
  }

  #entry(id: string, hour: number): KeyHour {
    let k = this.#keys.get(id);
    if (k && k.hour !== hour && !k.pending) k = undefined;
    if (!k) {
      k = { hour, left: 0, exhausted: false, pending: null };
      this.#keys.delete(id);
      this.#keys.set(id, k);
      while (this.#keys.size > this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value as string);
    }
    return k;
  }
}
