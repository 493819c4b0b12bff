/**
 * Leadership (DESIGN.md "Scheduling, leadership, scale"): with server Postgres, the leader for a
 * name is whoever holds a session advisory lock on a dedicated connection; if that instance dies,
 * Postgres drops the lock with its session and another instance takes over. The embedded store
 * belongs to one process, so that process is always the leader.
 */
import pg from 'pg';
import type { Logger } from '../log.ts';
import { toStoreError } from './pg-errors.ts';
import type { LeaderLease } from './store.ts';

export interface Leadership {
  tryAcquire(name: string): Promise<LeaderLease | null>;
  /** Releases every lease still held. */
  close(): Promise<void>;
}

/** The embedded store: always granted; the lease is lost only when released. */
export class SoleLeadership implements Leadership {
  async tryAcquire(): Promise<LeaderLease> {
    let resolveLost!: () => void;
    const lost = new Promise<void>((r) => (resolveLost = r));
    return { lost, release: async () => resolveLost() };
  }

  async close(): Promise<void> {}
}

export interface PgLeadershipOptions {
  url: string;
  /** host:port/database, for error messages. */
  location: string;
  schema: string;
  log: Logger;
  /** How often the held connection is checked; a failed check counts as a lost lease. */
  heartbeatMs?: number;
}

export class PgLeadership implements Leadership {
  private readonly leases = new Set<() => Promise<void>>();

  constructor(private readonly opts: PgLeadershipOptions) {}

  /** The advisory-lock key: one per (schema, name), so workflows sharing a database do not collide. */
  lockKey(name: string): string {
    return `signalbase:leader:${this.opts.schema}:${name}`;
  }

  async tryAcquire(name: string): Promise<LeaderLease | null> {
    const client = new pg.Client({
      connectionString: this.opts.url,
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
      // Shows in pg_stat_activity which schema's leader this session is (63 bytes at most).
      application_name: `signalbase-leader:${this.opts.schema}:${name}`.slice(0, 63),
    });
    let resolveLost!: () => void;
    const lost = new Promise<void>((r) => (resolveLost = r));
    client.on('error', () => resolveLost());
    client.on('end', () => resolveLost());
    const key = this.lockKey(name);
    let rows: { ok: boolean }[];
    try {
      await client.connect();
      ({ rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok', [key]));
    } catch (err) {
      await client.end().catch(() => undefined);
      throw toStoreError(err, this.opts.location);
    }
    if (!rows[0]?.ok) {
      await client.end().catch(() => undefined);
      return null;
    }

    const heartbeat = setInterval(() => {
      client.query('SELECT 1').catch(() => resolveLost());
    }, this.opts.heartbeatMs ?? 10_000);
    heartbeat.unref();
    let releasing: Promise<void> | null = null;
    void lost.then(() => {
      clearInterval(heartbeat);
      if (!releasing) this.opts.log.warn({ name }, 'leadership lost: the connection holding the lock failed');
    });

    const release = (): Promise<void> => {
      releasing ??= (async () => {
        clearInterval(heartbeat);
        this.leases.delete(release);
        try {
          await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
        } catch {
          // the session is gone, and the lock with it
        }
        await client.end().catch(() => undefined);
      })();
      return releasing;
    };
    this.leases.add(release);
    return { lost, release };
  }

  async close(): Promise<void> {
    await Promise.all([...this.leases].map((release) => release()));
  }
}
