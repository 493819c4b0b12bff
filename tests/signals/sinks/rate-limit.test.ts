/** The token bucket behind a sink's rate_limit, on a virtual clock. */
import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../src/signals/sinks/rate-limit.ts';

describe('TokenBucket', () => {
  it('lets a burst through, then one per 1/rate seconds', () => {
    let now = 0;
    const b = TokenBucket.from({ per_minute: 30, burst: 3 }, () => now)!; // 0.5 per second
    for (let i = 0; i < 3; i++) {
      expect(b.wait()).toBe(0);
      b.take();
    }
    expect(b.wait()).toBe(2_000);
    now += 1_000;
    expect(b.wait()).toBe(1_000);
    now += 1_000;
    expect(b.wait()).toBe(0);
    b.take();
    now += 60_000; // refills to the burst, no further
    for (let i = 0; i < 3; i++) b.take();
    expect(b.wait()).toBe(2_000);
  });

  it('is absent without a rate', () => {
    expect(TokenBucket.from(undefined)).toBeNull();
    expect(TokenBucket.from({ burst: 4 })).toBeNull();
    expect(TokenBucket.from({ per_second: 2 })).not.toBeNull();
  });
});
