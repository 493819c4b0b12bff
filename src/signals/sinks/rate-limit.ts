/**
 * A token bucket for a sink's `rate_limit`: `rate` deliveries per second on average, bursts of
 * `burst`. wait() says how long until the next delivery may go; take() spends one token.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** From the sink file's rate_limit; null when it sets none. */
  static from(spec: { per_second?: number; per_minute?: number; burst?: number } | undefined, now?: () => number): TokenBucket | null {
    if (!spec) return null;
    const rate = spec.per_second ?? (spec.per_minute !== undefined ? spec.per_minute / 60 : undefined);
    if (rate === undefined) return null;
    return new TokenBucket(rate, spec.burst ?? Math.max(1, Math.ceil(rate)), now);
  }

  /** Ms until a token is available (0: now). */
  wait(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) / this.rate) * 1000);
  }

  take(): void {
    this.refill();
    this.tokens -= 1;
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.rate);
    this.last = t;
  }
}
