import { describe, expect, it } from 'vitest';
import { KeyCache } from '../../src/serve/key-cache.ts';
import { MemoryKeys, TestClock } from './helpers.ts';

describe('KeyCache', () => {
  it('reuses a valid result for validTtlMs and a rejection for invalidTtlMs', async () => {
    const keys = new MemoryKeys();
    keys.add('good', 'stream');
    const clock = new TestClock(0);
    const cache = new KeyCache(keys, { clock, validTtlMs: 30_000, invalidTtlMs: 5_000, maxEntries: 10 });
    expect((await cache.validate('good')).isValid).toBe(true);
    expect((await cache.validate('bad')).isValid).toBe(false);
    expect(keys.calls).toBe(2);
    clock.t = 4_999;
    await cache.validate('good');
    await cache.validate('bad');
    expect(keys.calls).toBe(2);
    clock.t = 5_000;
    await cache.validate('bad');
    expect(keys.calls).toBe(3);
    keys.add('bad', 'admin'); // created meanwhile: works once the short rejection TTL passed
    clock.t = 10_000;
    expect((await cache.validate('bad')).keyType).toBe('admin');
    keys.revoke('good');
    clock.t = 29_999;
    expect((await cache.validate('good')).isValid).toBe(true);
    clock.t = 30_000;
    expect((await cache.validate('good')).isValid).toBe(false);
  });

  it('shares one store call between concurrent lookups and never caches a failure', async () => {
    const keys = new MemoryKeys();
    keys.add('k', 'stream');
    const cache = new KeyCache(keys, { clock: new TestClock(0), validTtlMs: 30_000, invalidTtlMs: 5_000, maxEntries: 10 });
    const all = await Promise.all([cache.validate('k'), cache.validate('k'), cache.validate('k')]);
    expect(all.every((v) => v.isValid)).toBe(true);
    expect(keys.calls).toBe(1);
    keys.fail = true;
    await expect(cache.validate('other')).rejects.toThrow('store down');
    keys.fail = false;
    expect((await cache.validate('other')).isValid).toBe(false);
    expect(keys.calls).toBe(3);
  });

  it('holds at most maxEntries keys, and nothing with TTL 0', async () => {
    const keys = new MemoryKeys();
    const cache = new KeyCache(keys, { clock: new TestClock(0), validTtlMs: 30_000, invalidTtlMs: 30_000, maxEntries: 3 });
    for (let i = 0; i < 10; i++) await cache.validate(`k${i}`);
    expect(cache.size).toBe(3);
    await cache.validate('k9');
    expect(keys.calls).toBe(10);
    await cache.validate('k0');
    expect(keys.calls).toBe(11);

    const none = new KeyCache(keys, { clock: new TestClock(0), validTtlMs: 0, invalidTtlMs: 0, maxEntries: 3 });
    await none.validate('x');
    await none.validate('x');
    expect(none.size).toBe(0);
    expect(keys.calls).toBe(13);
  });
});
