/**
 * Repeated key failures from one address get 429 (DESIGN.md "Access and integrity"): after
 * `maxFailures` refused keys (missing, malformed, unknown, revoked) within `windowMs`, the address
 * is refused with TOO_MANY_FAILURES and Retry-After for `blockMs`, before any key is looked at.
 * Bounded: at most `maxAddresses` are remembered, the least recently failing forgotten first.
 *
 * The address is the socket's peer: behind a reverse proxy every client shares the proxy's, so
 * such deployments should throttle at the proxy (README "Security").
 */
import type { Clock } from '../domain/clock.ts';

export interface FailureThrottleOptions {
  maxFailures: number;
  windowMs: number;
  blockMs: number;
  maxAddresses: number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

export class FailureThrottle {
  readonly #opts: FailureThrottleOptions;
  readonly #clock: Clock;
  readonly #by = new Map<string, Entry>();

  constructor(opts: FailureThrottleOptions, clock: Clock) {
    this.#opts = opts;
    this.#clock = clock;
  }

  /** Seconds until `address` may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const e = this.#by.get(address);
    if (!e) return 0;
    const left = e.blockedUntil - this.#clock.now();
    return left > 0 ? Math.ceil(left / 1000) : 0;
  }

  fail(address: string): void {
    const now = this.#clock.now();
    let e = this.#by.get(address);
    if (e) this.#by.delete(address);
    if (!e || now - e.windowStart >= this.#opts.windowMs) e = { windowStart: now, failures: 0, blockedUntil: e?.blockedUntil ?? 0 };
    e.failures += 1;
    if (e.failures >= this.#opts.maxFailures) {
      e.blockedUntil = now + this.#opts.blockMs;
      e.failures = 0;
      e.windowStart = now;
    }
    this.#by.set(address, e);
    while (this.#by.size > this.#opts.maxAddresses) this.#by.delete(this.#by.keys().next().value as string);
  }
}
