/**
 * The daemon's small pure pieces: the shard partition and the readiness verdict.
 */
import { describe, expect, it } from 'vitest';
import { checkReadiness, type ReadinessProbe } from '../../src/daemon/readiness.ts';
import { ownedSymbols, ownsSymbol, shardOf } from '../../src/daemon/shard.ts';
import { describePace } from '../../src/daemon/sample.ts';
import { StoreError } from '../../src/errors.ts';
import type { OutboxHealth } from '../../src/store/outbox/index.ts';

describe('SHARD=i/n', () => {
  const symbols = Array.from({ length: 200 }, (_, i) => `S${i}/USDT`);

  it('gives every symbol to exactly one of n shards', () => {
    for (const n of [1, 2, 3, 7]) {
      const owners = symbols.map((s) => Array.from({ length: n }, (_, i) => i).filter((i) => ownsSymbol({ index: i, count: n }, s)));
      expect(owners.every((o) => o.length === 1)).toBe(true);
      // Each shard of 200 symbols gets some (a hash that sends all to one shard would fail here).
      if (n > 1) for (let i = 0; i < n; i++) expect(ownedSymbols({ index: i, count: n }, symbols).length).toBeGreaterThan(0);
    }
  });

  it('uses the 32-bit FNV-1a hash of the symbol, so every instance agrees', () => {
    // FNV-1a 32 reference values (offset basis 2166136261, prime 16777619): "a" → 0xe40c292c,
    // "foobar" → 0xbf9cf968 (draft-eastlake-fnv test vectors).
    expect(shardOf('a', 2 ** 31)).toBe(0xe40c292c % 2 ** 31);
    expect(shardOf('foobar', 1000)).toBe(0xbf9cf968 % 1000);
  });
});

describe('demo pace in words', () => {
  it('says how often a candle arrives', () => {
    expect(describePace('5m', 300)).toBe('one candle per second');
    expect(describePace('5m', 600)).toBe('2 candles per second');
    expect(describePace('5m', 150)).toBe('one candle every 2 seconds');
    expect(describePace('1m', 0)).toBe('as fast as possible');
  });
});

describe('readiness', () => {
  const healthy: OutboxHealth = {
    state: 'idle', draining: true, depth: 0, inMemory: 0, oldestAgeSeconds: 0, lastError: null, failingSince: null, degraded: false, deadLetters: 0,
  };
  const probe = (over: Partial<ReadinessProbe> = {}): ReadinessProbe => ({
    phase: () => 'running',
    ping: async () => undefined,
    schemaCurrent: () => true,
    feed: () => ({ status: 'streaming', error: undefined }),
    outbox: () => healthy,
    ...over,
  });

  it('is ready when every check passes, also after a replay ended', async () => {
    expect(await checkReadiness(probe())).toEqual({ ready: true, reasons: [] });
    expect(await checkReadiness(probe({ feed: () => ({ status: 'ended', error: undefined }) }))).toEqual({ ready: true, reasons: [] });
  });

  it('names every failing check', async () => {
    const r = await checkReadiness(
      probe({
        phase: () => 'starting',
        ping: () => Promise.reject(new StoreError('STORE_UNREACHABLE', 'cannot reach 127.0.0.1:5432')),
        feed: () => ({ status: 'failed', error: new Error('socket hang up') }),
        outbox: () => ({ ...healthy, state: 'retrying', degraded: true, depth: 12, failingSince: Date.now() - 30_000 }),
      }),
    );
    expect(r.ready).toBe(false);
    expect(r.reasons).toHaveLength(4);
    expect(r.reasons[0]).toBe('daemon is starting');
    expect(r.reasons[1]).toContain('cannot reach 127.0.0.1:5432');
    expect(r.reasons[2]).toContain('socket hang up');
    expect(r.reasons[3]).toMatch(/^outbox degraded: store writes failing for 30 s \(12 pending/);
  });

  it('treats a store that does not answer in time as unreachable', async () => {
    const r = await checkReadiness(probe({ ping: () => new Promise(() => undefined), pingTimeoutMs: 20 }));
    expect(r).toEqual({ ready: false, reasons: ['store unreachable: no answer within 20 ms'] });
  });
});
