/**
 * Repeated key failures from one address get 429 (DESIGN.md "Access and integrity"): after
 * `maxFailures` refused keys (missing, malformed, unknown, revoked) within `windowMs`, the address
 * is refused with TOO_MANY_FAILURES and Retry-After for `blockMs`, before any key is looked at.
 * Bounded: at most `maxAddresses` are remembered, the least recently failing forgotten first.
 *
 * The address is the socket's peer (clientAddress): behind a reverse proxy every client shares the
 * proxy's, unless the proxy's address is listed in TRUST_PROXY: then the right-most
 * X-Forwarded-For entry that is not itself a listed proxy is the client (what the nearest proxy
 * saw; entries further left are the client's own say and are never believed).
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { Clock } from '../domain/clock.ts';

/** 1.2.3.4 for ::ffff:1.2.3.4 (Node reports IPv4 peers of a dual-stack socket so). */
const plain = (a: string): string => (a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a).toLowerCase();

/** The caller's address for the throttle: the peer, or what trusted proxies say the client was. */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[] | null): string | null {
  const peer = req.socket.remoteAddress;
  if (peer === undefined) return null;
  if (trustedProxies === null || trustedProxies.length === 0) return peer;
  const trusted = new Set(trustedProxies.map(plain));
  if (!trusted.has(plain(peer))) return peer;
  const raw = req.headers['x-forwarded-for'];
  const hops = (Array.isArray(raw) ? raw.join(',') : (raw ?? '')).split(',').map((h) => h.trim()).filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = plain(hops[i]!);
    if (isIP(hop) === 0) return peer; // not what a proxy writes: believe none of it
    if (!trusted.has(hop)) return hop;
  }
  return peer;
}

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
