/**
 * Leadership among the instances sharing one store (DESIGN.md "Scheduling, leadership, scale"):
 * exactly one instance runs retrains and drift checks.
 *
 * LeaderElector tries store.tryAcquireLeadership(name) at start and then every `retryMs` while it
 * is a follower. With server Postgres the lease is a session advisory lock on a dedicated
 * connection: when the leader dies, Postgres drops its session and the lock, and the next retry of
 * another instance wins. When the lease is lost (the connection failed), this instance steps down
 * at once (listeners stop leader-only work) and goes back to retrying.
 *
 * The embedded store belongs to one process, so that process is always the leader. The Supabase
 * REST store has no advisory locks: the store grants the lease (single-leader fallback), and the
 * elector says at start that several instances would each act as leader. That is the seam for a
 * REST-side lease (a row with an expiry) when the REST adapter exists.
 *
 * Status is 'follower' until the first attempt wins; `is_leader` (1 or 0) is on /metrics.
 */
import { Counter, Gauge } from 'prom-client';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import type { LeaderLease, Store } from '../store/store.ts';

export type LeaderStatus = 'follower' | 'leader';

/** The advisory-lock name every instance competes for. */
export const LEADER_LOCK = 'leader';
/** How often a follower tries again (a dead leader's successor takes over within about this). */
export const LEADER_RETRY_MS = 5_000;

export const isLeaderGauge = new Gauge({
  name: 'is_leader',
  help: 'Whether this instance holds the leadership (runs retrains and drift checks): 1 or 0',
  registers: [registry],
});

export const leadershipChanges = new Counter({
  name: 'leadership_changes_total',
  help: 'Times this instance became the leader or stepped down',
  registers: [registry],
});

export interface LeaderElectorOptions {
  store: Pick<Store, 'tryAcquireLeadership' | 'info'>;
  /** This instance, for logs (host:pid). */
  instance: string;
  log: Logger;
  /** Default LEADER_LOCK. */
  name?: string;
  /** Default LEADER_RETRY_MS. */
  retryMs?: number;
}

type Listener = (status: LeaderStatus) => void;

export class LeaderElector {
  private statusNow: LeaderStatus = 'follower';
  private lease: LeaderLease | null = null;
  private timer: NodeJS.Timeout | null = null;
  private attempt: Promise<void> | null = null;
  private started = false;
  private stopping: Promise<void> | null = null;
  private readonly listeners = new Set<Listener>();
  private readonly log: Logger;
  private readonly name: string;
  private readonly retryMs: number;

  constructor(private readonly opts: LeaderElectorOptions) {
    this.log = opts.log.child({ module: 'leader' });
    this.name = opts.name ?? LEADER_LOCK;
    this.retryMs = opts.retryMs ?? LEADER_RETRY_MS;
  }

  get status(): LeaderStatus {
    return this.statusNow;
  }

  get isLeader(): boolean {
    return this.statusNow === 'leader';
  }

  /** Calls `fn` on every transition (not with the current status). Returns the unsubscribe. */
  onChange(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Makes the first attempt (resolves once it is decided), then keeps retrying while a follower. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { info } = this.opts.store;
    if (info.kind === 'embedded') {
      this.log.debug('embedded store: this process owns it and leads');
    } else if (!info.supportsLeadership) {
      this.log.warn(
        `the ${info.kind} store has no advisory locks: this instance acts as the single leader (retrains, drift checks); ` +
          'run one instance, or set DATABASE_URL to the database connection string so instances elect one leader',
      );
    }
    await this.tryOnce();
  }

  /** Steps down (listeners hear 'follower'), releases the lease and stops retrying. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.timer) clearTimeout(this.timer);
      this.timer = null;
      await this.attempt?.catch(() => undefined);
      const lease = this.lease;
      this.lease = null;
      if (this.statusNow === 'leader') this.set('follower', `${this.opts.instance} steps down: it is stopping`, 'info');
      try {
        await lease?.release();
      } catch (err) {
        this.log.warn({ err }, `releasing the leadership failed: ${describeError(err)}`);
      }
    })();
    return this.stopping;
  }

  private tryOnce(): Promise<void> {
    this.attempt = this.acquire().finally(() => {
      this.attempt = null;
    });
    return this.attempt;
  }

  private async acquire(): Promise<void> {
    if (this.stopping) return;
    let lease: LeaderLease | null;
    try {
      lease = await this.opts.store.tryAcquireLeadership(this.name);
    } catch (err) {
      this.log.warn({ err }, `could not ask the store for the leadership (${describeError(err)}); trying again in ${this.retryMs / 1000} s`);
      this.retryLater();
      return;
    }
    if (this.stopping) {
      await lease?.release().catch(() => undefined);
      return;
    }
    if (!lease) {
      if (!this.timer) this.log.debug(`another instance leads; trying again every ${this.retryMs / 1000} s`);
      this.retryLater();
      return;
    }
    this.lease = lease;
    void lease.lost.then(() => this.onLost(lease));
    this.set('leader', `${this.opts.instance} is now the leader: it runs retrains and drift checks`);
  }

  private onLost(lease: LeaderLease): void {
    if (this.lease !== lease || this.stopping) return;
    this.lease = null;
    this.set('follower', `${this.opts.instance} lost the leadership (its store connection failed); stepping down and trying again every ${this.retryMs / 1000} s`);
    this.retryLater();
  }

  private retryLater(): void {
    if (this.stopping) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tryOnce();
    }, this.retryMs);
    this.timer.unref();
  }

  private set(status: LeaderStatus, message: string, level: 'info' | 'warn' = status === 'leader' ? 'info' : 'warn'): void {
    if (status === this.statusNow) return;
    this.statusNow = status;
    leadershipChanges.inc();
    isLeaderGauge.set(status === 'leader' ? 1 : 0);
    this.log[level]({ instance: this.opts.instance, leader: status === 'leader' }, message);
    for (const fn of this.listeners) {
      try {
        fn(status);
      } catch (err) {
        this.log.error({ err }, `a leadership listener failed: ${describeError(err)}`);
      }
    }
  }
}
