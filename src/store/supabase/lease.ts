/**
 * Leadership over PostgREST: it cannot hold a session advisory lock, so a lease row instead
 * (ml_leader_leases through sb_try_lease): one instance leads; another takes over once the lease
 * has expired (LEASE_TTL_MS after the leader stopped renewing).
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../../log.ts';
import type { Leadership } from '../leadership.ts';
import type { Rpc } from '../rpc.ts';
import type { LeaderLease } from '../store.ts';

export const LEASE_TTL_MS = 30_000;

/**
 * Leadership by lease row: sb_try_lease claims `name` for this instance (or renews it) for ttlMs.
 * The holder renews every third of the TTL; the lease counts as lost as soon as a renewal is
 * refused or fails, or when no renewal succeeded for the TTL minus a margin (so this instance stops
 * leading before another one can take over).
 */
export class LeaseLeadership implements Leadership {
  /** This instance, as the lease rows name it. */
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly held = new Map<string, () => Promise<void>>();

  constructor(
    private readonly rpc: Rpc,
    private readonly ttlMs: number,
    private readonly log: Logger,
  ) {}

  private claim(name: string): Promise<boolean> {
    return this.rpc.value<boolean>('sb_try_lease', { p_name: name, p_holder: this.holder, p_ttl_ms: Math.round(this.ttlMs) });
  }

  async tryAcquire(name: string): Promise<LeaderLease | null> {
    // Like a second advisory-lock session: this instance already leads `name`, a second lease is refused.
    if (this.held.has(name)) return null;
    if (!(await this.claim(name))) return null;

    let resolveLost!: () => void;
    const lost = new Promise<void>((r) => (resolveLost = r));
    let ended = false;
    const end = (why: string | null) => {
      if (ended) return;
      ended = true;
      clearInterval(renew);
      clearTimeout(watchdog);
      this.held.delete(name);
      if (why) this.log.warn({ name, holder: this.holder }, `leadership lost: ${why}`);
      resolveLost();
    };
    const margin = Math.min(this.ttlMs / 5, 2_000);
    const arm = () => setTimeout(() => end('no lease renewal succeeded in time'), this.ttlMs - margin);
    let watchdog = arm();
    watchdog.unref();
    const renew = setInterval(() => {
      this.claim(name).then(
        (ok) => {
          if (ended) return;
          if (!ok) return end('another instance holds the lease');
          clearTimeout(watchdog);
          watchdog = arm();
          watchdog.unref();
        },
        (err: unknown) => end(`renewing the lease failed: ${(err as Error).message}`),
      );
    }, this.ttlMs / 3);
    renew.unref();

    let releasing: Promise<void> | null = null;
    const release = (): Promise<void> => {
      releasing ??= (async () => {
        end(null);
        await this.rpc.value<boolean>('sb_release_lease', { p_name: name, p_holder: this.holder }).catch(() => undefined);
      })();
      return releasing;
    };
    this.held.set(name, release);
    return { lost, release };
  }

  async close(): Promise<void> {
    await Promise.all([...this.held.values()].map((release) => release()));
  }
}
