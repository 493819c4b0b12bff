/**
 * LeaderElector and Scheduler in-process. The store's leadership is a scripted stand-in here (the
 * real advisory lock is exercised end to end in leadership.pg.test.ts and tests/store): what is
 * under test is the elector's state machine (retry while a follower, step down on a lost lease,
 * retry after a store error, release on stop) and the scheduler's leader-only rule on real
 * node-cron timers (six-field expressions, every second).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LeaderElector, type LeaderStatus } from '../../src/daemon/leader.ts';
import { Scheduler } from '../../src/daemon/scheduler.ts';
import type { LeaderLease, StoreInfo } from '../../src/store/store.ts';
import { silentLogger } from '../helpers/pg.ts';

const log = silentLogger();

/** Grants the lease only while `free`; the test can kill a granted lease. */
class ScriptedLeadership {
  free = false;
  fail = false;
  attempts = 0;
  releases = 0;
  private kill: (() => void) | null = null;
  readonly info: StoreInfo = { kind: 'postgres', location: 'test', schema: 'public', serverVersion: '15', supportsLeadership: true };

  async tryAcquireLeadership(): Promise<LeaderLease | null> {
    this.attempts += 1;
    if (this.fail) throw new Error('connection refused');
    if (!this.free) return null;
    this.free = false;
    let lost!: () => void;
    const lease: LeaderLease = {
      lost: new Promise<void>((r) => (lost = r)),
      release: async () => {
        this.releases += 1;
        this.free = true;
        lost();
      },
    };
    this.kill = () => {
      this.kill = null;
      lost(); // the session died: the lock is gone, but nobody freed it yet
    };
    return lease;
  }

  killLease(): void {
    this.kill?.();
  }
}

const electors: LeaderElector[] = [];
const schedulers: Scheduler[] = [];
afterEach(async () => {
  await Promise.all(electors.splice(0).map((e) => e.stop()));
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

function elector(store: ScriptedLeadership): { e: LeaderElector; seen: LeaderStatus[] } {
  const e = new LeaderElector({ store, instance: 'test:1', log, retryMs: 20 });
  electors.push(e);
  const seen: LeaderStatus[] = [];
  e.onChange((s) => seen.push(s));
  return { e, seen };
}

describe('LeaderElector', () => {
  it('stays a follower while another holds the lock and becomes leader once it is free', async () => {
    const store = new ScriptedLeadership();
    const { e, seen } = elector(store);
    await e.start();
    expect(e.status).toBe('follower');
    await vi.waitFor(() => expect(store.attempts).toBeGreaterThanOrEqual(3), { timeout: 5_000, interval: 10 });
    expect(e.isLeader).toBe(false);
    store.free = true;
    await vi.waitFor(() => expect(e.status).toBe('leader'), { timeout: 5_000, interval: 10 });
    expect(seen).toEqual(['leader']);
  });

  it('steps down when the lease is lost and takes the leadership again when it can', async () => {
    const store = new ScriptedLeadership();
    store.free = true;
    const { e, seen } = elector(store);
    await e.start();
    expect(e.status).toBe('leader');
    store.killLease();
    await vi.waitFor(() => expect(seen).toEqual(['leader', 'follower']), { timeout: 5_000, interval: 10 });
    const attempts = store.attempts;
    await vi.waitFor(() => expect(store.attempts).toBeGreaterThan(attempts + 1), { timeout: 5_000, interval: 10 });
    expect(e.status).toBe('follower'); // the dead session's lock was not freed
    store.free = true;
    await vi.waitFor(() => expect(seen).toEqual(['leader', 'follower', 'leader']), { timeout: 5_000, interval: 10 });
  });

  it('keeps trying after the store fails to answer', async () => {
    const store = new ScriptedLeadership();
    store.fail = true;
    const { e } = elector(store);
    await e.start();
    expect(e.status).toBe('follower');
    store.fail = false;
    store.free = true;
    await vi.waitFor(() => expect(e.status).toBe('leader'), { timeout: 5_000, interval: 10 });
  });

  it('stop() steps down, releases the lease once and stops trying', async () => {
    const store = new ScriptedLeadership();
    store.free = true;
    const { e, seen } = elector(store);
    await e.start();
    const s = e.stop();
    expect(e.stop()).toBe(s);
    await s;
    expect(seen).toEqual(['leader', 'follower']);
    expect(store.releases).toBe(1);
    const attempts = store.attempts;
    await new Promise((r) => setTimeout(r, 100)); // five retry intervals
    expect(store.attempts).toBe(attempts);
  });
});

describe('Scheduler', () => {
  it('files the scheduled retrain and runs the drift hook only while this instance leads', async () => {
    let leader = false;
    const filed: number[] = [];
    const drift: number[] = [];
    const s = new Scheduler({
      retrainCron: '* * * * * *',
      driftCron: '* * * * * *',
      isLeader: () => leader,
      fileRetrain: async () => void filed.push(Date.now()),
      driftCheck: async () => void drift.push(Date.now()),
      log,
    });
    schedulers.push(s);
    s.start();
    await new Promise((r) => setTimeout(r, 2_200)); // at least two firings as a follower
    expect(filed).toEqual([]);
    expect(drift).toEqual([]);
    leader = true;
    await vi.waitFor(
      () => {
        expect(filed.length).toBeGreaterThanOrEqual(1);
        expect(drift.length).toBeGreaterThanOrEqual(1);
      },
      { timeout: 5_000, interval: 50 },
    );
    await s.stop();
    const after = filed.length;
    await new Promise((r) => setTimeout(r, 1_500));
    expect(filed.length).toBe(after);
  });

  it('a failing run does not stop the schedule', async () => {
    let calls = 0;
    const s = new Scheduler({
      retrainCron: '* * * * * *',
      driftCron: '0 0 1 1 *',
      isLeader: () => true,
      fileRetrain: async () => {
        calls += 1;
        throw new Error('store down');
      },
      driftCheck: async () => undefined,
      log,
    });
    schedulers.push(s);
    s.start();
    await vi.waitFor(() => expect(calls).toBeGreaterThanOrEqual(2), { timeout: 6_000, interval: 50 });
  });
});
