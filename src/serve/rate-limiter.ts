/**
 * Per-key hourly request limits (the key's rate_limit_per_hour), in memory.
 *
 * A sliding window of 60 one-minute buckets per key: a request counts against the key for the 60
 * whole minutes that start with its own, so memory per key is fixed (60 counters) whatever the limit.
 * When the window is full, `retryAfterSeconds` is the time until enough old buckets leave the window
 * to free one slot: exactly when a retry will succeed (if nothing else is spent meanwhile).
 *
 * Bounded: at most `maxKeys` keys are tracked; beyond that the least recently used key is forgotten
 * (its count restarts at zero). Idle keys are the ones evicted first, and an evicted key that was
 * still counting is at worst given a fresh hour, never refused wrongly.
 */
import type { Clock } from '../domain/clock.ts';

export interface RateDecision {
  allowed: boolean;
  /** Requests left in the current window after this one (Infinity when unlimited). */
  remaining: number;
  /** Whole seconds until a slot frees; 0 when allowed. */
  retryAfterSeconds: number;
}

export interface RateLimiterOptions {
  clock: Clock;
  maxKeys: number;
  windowMs?: number;
  buckets?: number;
}

interface KeyWindow {
  counts: Uint32Array;
  /** Absolute index of the newest bucket these counts are rolled forward to. */
  bucket: number;
  total: number;
}

export class HourlyRateLimiter {
  readonly #clock: Clock;
  readonly #maxKeys: number;
  readonly #n: number;
  readonly #bucketMs: number;
  readonly #keys = new Map<string, KeyWindow>();

  constructor(opts: RateLimiterOptions) {
    this.#clock = opts.clock;
    this.#maxKeys = opts.maxKeys;
    this.#n = opts.buckets ?? 60;
    this.#bucketMs = (opts.windowMs ?? 3_600_000) / this.#n;
  }

  get trackedKeys(): number {
    return this.#keys.size;
  }

  /**
   * Spends one request of `id`'s hourly `limit` if one is left. A null limit means unlimited
   * (nothing is tracked); a limit of 0 refuses everything.
   */
  take(id: string, limit: number | null): RateDecision {
    if (limit === null || !Number.isFinite(limit)) return { allowed: true, remaining: Infinity, retryAfterSeconds: 0 };
    const now = this.#clock.now();
    const b = Math.floor(now / this.#bucketMs);
    const w = this.#windowFor(id, b);
    if (w.total >= limit) return { allowed: false, remaining: 0, retryAfterSeconds: this.#retryAfter(w, b, now, limit) };
    w.counts[b % this.#n]! += 1;
    w.total += 1;
    return { allowed: true, remaining: limit - w.total, retryAfterSeconds: 0 };
  }

  #windowFor(id: string, b: number): KeyWindow {
    let w = this.#keys.get(id);
    if (w) {
      this.#keys.delete(id);
      this.#roll(w, b);
    } else {
      w = { counts: new Uint32Array(this.#n), bucket: b, total: 0 };
    }
    this.#keys.set(id, w);
    while (this.#keys.size > this.#maxKeys) this.#keys.delete(this.#keys.keys().next().value as string);
    return w;
  }

  /** Moves the window forward to bucket b, dropping the buckets that left it. */
  #roll(w: KeyWindow, b: number): void {
    if (b <= w.bucket) return;
    if (b - w.bucket >= this.#n) {
      w.counts.fill(0);
      w.total = 0;
    } else {
      for (let j = w.bucket + 1; j <= b; j++) {
        w.total -= w.counts[j % this.#n]!;
        w.counts[j % this.#n] = 0;
      }
    }
    w.bucket = b;
  }

  #retryAfter(w: KeyWindow, b: number, now: number, limit: number): number {
    // Bucket j is in the window while the current bucket is < j + n; it leaves at (j + n) × bucketMs.
    let freed = 0;
    for (let j = b - this.#n + 1; j <= b; j++) {
      freed += w.counts[((j % this.#n) + this.#n) % this.#n]!;
      if (w.total - freed <= limit - 1) return Math.max(1, Math.ceil(((j + this.#n) * this.#bucketMs - now) / 1000));
    }
    // limit 0: never frees; say "an hour" rather than forever.
    return Math.ceil((this.#n * this.#bucketMs) / 1000);
  }
}
