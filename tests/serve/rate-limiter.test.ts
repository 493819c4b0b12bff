import { describe, expect, it } from 'vitest';
import { HourlyRateLimiter } from '../../src/serve/rate-limiter.ts';
import { TestClock } from './helpers.ts';

const MIN = 60_000;
const T0 = Date.UTC(2018, 0, 20, 10, 0, 0); // a minute boundary

describe('HourlyRateLimiter', () => {
  it('allows `limit` requests per sliding hour and says when the oldest minute frees a slot', () => {
    const clock = new TestClock(T0 + 10_000);
    const rl = new HourlyRateLimiter({ clock, maxKeys: 10 });
    expect(rl.take('a', 3)).toEqual({ allowed: true, remaining: 2, retryAfterSeconds: 0 });
    clock.t = T0 + 20 * MIN;
    rl.take('a', 3);
    clock.t = T0 + 40 * MIN;
    expect(rl.take('a', 3)).toMatchObject({ allowed: true, remaining: 0 });
    clock.t = T0 + 45 * MIN + 30_000;
    // Full. The request made in minute T0 leaves the window at T0 + 60 min: 14.5 minutes from now.
    expect(rl.take('a', 3)).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 14 * 60 + 30 });
    clock.t = T0 + 60 * MIN - 1;
    expect(rl.take('a', 3).allowed).toBe(false);
    clock.t = T0 + 60 * MIN;
    expect(rl.take('a', 3)).toMatchObject({ allowed: true, remaining: 0 });
    // Now minutes 20 and 40 and 60 hold one each; the next slot frees at T0 + 80 min.
    expect(rl.take('a', 3).retryAfterSeconds).toBe(20 * 60);
  });

  it('waits for as many old requests as needed to free one slot', () => {
    const clock = new TestClock(T0);
    const rl = new HourlyRateLimiter({ clock, maxKeys: 10 });
    rl.take('a', 3);
    rl.take('a', 3);
    clock.t = T0 + 5 * MIN;
    rl.take('a', 3);
    // Window now: 2 requests in minute T0 (leave at T0+60), 1 in minute T0+5 (leaves at T0+65).
    // Limit 3: one must leave → T0+60, 55 min from now. Limit 2 (the key was edited): two must
    // leave → still T0+60. Limit 1: all three → T0+65, 60 min from now.
    expect(rl.take('a', 3).retryAfterSeconds).toBe(55 * 60);
    expect(rl.take('a', 2).retryAfterSeconds).toBe(55 * 60);
    expect(rl.take('a', 1).retryAfterSeconds).toBe(60 * 60);
  });

  it('counts keys separately, treats null as unlimited and 0 as closed', () => {
    const clock = new TestClock(T0);
    const rl = new HourlyRateLimiter({ clock, maxKeys: 10 });
    expect(rl.take('a', 1).allowed).toBe(true);
    expect(rl.take('a', 1).allowed).toBe(false);
    expect(rl.take('b', 1).allowed).toBe(true);
    for (let i = 0; i < 1000; i++) expect(rl.take('c', null).allowed).toBe(true);
    expect(rl.take('d', 0)).toEqual({ allowed: false, remaining: 0, retryAfterSeconds: 3600 });
  });

  it('forgets everything after an idle hour, and tracks at most maxKeys keys (least recent evicted)', () => {
    const clock = new TestClock(T0);
    const rl = new HourlyRateLimiter({ clock, maxKeys: 2 });
    rl.take('a', 1);
    clock.t = T0 + 2 * 3_600_000;
    expect(rl.take('a', 1).allowed).toBe(true);
    rl.take('b', 1);
    rl.take('c', 1); // evicts a
    expect(rl.trackedKeys).toBe(2);
    expect(rl.take('b', 1).allowed).toBe(false); // b was kept
    expect(rl.take('a', 1).allowed).toBe(true); // a starts over
  });
});
