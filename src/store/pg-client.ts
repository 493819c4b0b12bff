/**
 * Server Postgres (self-hosted or Supabase's direct / pooled URL) behind SqlClient, through a
 * pg.Pool. Every failure becomes a StoreError that names host:port/database and never the password.
 */
import pg from 'pg';
import { ConfigError, StoreError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { rethrowInTransaction, toStoreError } from './pg-errors.ts';
import type { Row, SqlClient, SqlExecutor, SqlResult } from './sql-client.ts';

export interface PgTarget {
  /** host:port/database, safe to print. */
  location: string;
  host: string;
  port: number;
  /** The password, only so messages can be scrubbed of it. */
  secret: string;
}

/** Reads what can be said about a connection string; a malformed one is a ConfigError naming DATABASE_URL. */
export function describePgUrl(url: string): PgTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user:password@host:5432/database', { variable: 'DATABASE_URL' });
  }
  if ((u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') || u.hostname === '') {
    throw new ConfigError('DATABASE_URL must be a URL like postgres://user:password@host:5432/database', { variable: 'DATABASE_URL' });
  }
  const port = u.port ? Number(u.port) : 5432;
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || decodeURIComponent(u.username) || 'postgres';
  let secret = '';
  try {
    secret = decodeURIComponent(u.password);
  } catch {
    secret = u.password;
  }
  return { location: `${u.hostname}:${port}/${database}`, host: u.hostname, port, secret };
}

/** int8 as a JS number (counts, seeds), like PGlite; everything else as pg parses it. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** Buffers for bytea: pg sends a plain Uint8Array as text otherwise. */
function prepareParams(params: readonly unknown[]): unknown[] {
  return params.map((p) => (p instanceof Uint8Array && !Buffer.isBuffer(p) ? Buffer.from(p.buffer, p.byteOffset, p.byteLength) : p));
}

export interface PgClientOptions {
  url: string;
  log: Logger;
  poolSize?: number;
  connectTimeoutMs?: number;
  /**
   * A query with no answer for this long fails (retryable) and its connection is dropped. Without
   * it, a route that silently drops packets holds a query until the kernel gives up on TCP
   * retransmission (~15 min), and the outbox never learns that the store is down. Default 60 s.
   */
  queryTimeoutMs?: number;
  applicationName?: string;
}

export class PgSqlClient implements SqlClient {
  readonly kind = 'postgres' as const;
  readonly location: string;
  readonly target: PgTarget;
  private readonly pool: pg.Pool;
  private readonly direct: SqlExecutor;
  private closing: Promise<void> | null = null;

  constructor(opts: PgClientOptions) {
    this.target = describePgUrl(opts.url);
    this.location = this.target.location;
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.poolSize ?? 5,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      query_timeout: opts.queryTimeoutMs ?? 60_000,
      keepAlive: true,
      application_name: opts.applicationName ?? 'signalbase',
      types,
    });
    // An idle connection that dies must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => {
      opts.log.warn({ err: this.wrap(err) }, 'idle Postgres connection failed');
    });
    this.direct = this.executor(this.pool);
  }

  /** A StoreError for `err` whose message cannot contain the password. */
  wrap(err: unknown): StoreError {
    const e = toStoreError(err, this.location);
    const secret = this.target.secret;
    if (secret.length < 3 || !e.message.includes(secret)) return e;
    // Rebuilt without the cause: the driver's own message holds the password too.
    return new StoreError(e.code, e.message.split(secret).join('***'), { retryable: e.retryable, context: e.context });
  }

  private executor(target: pg.Pool | pg.PoolClient): SqlExecutor {
    return {
      query: async <R = Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> => {
        try {
          const res = await target.query(text, prepareParams(params));
          return { rows: res.rows as R[], rowCount: res.rowCount ?? res.rows.length };
        } catch (err) {
          throw this.wrap(err);
        }
      },
      exec: async (script: string): Promise<void> => {
        try {
          await target.query(script);
        } catch (err) {
          throw this.wrap(err);
        }
      },
    };
  }

  query<R = Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>> {
    return this.direct.query<R>(text, params);
  }

  exec(script: string): Promise<void> {
    return this.direct.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err);
    }
    const tx = this.executor(client);
    let broken: Error | undefined;
    try {
      await tx.query('BEGIN');
      const result = await fn(tx);
      await tx.query('COMMIT');
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        broken = rollbackErr as Error; // the connection is gone; do not return it to the pool
      }
      return rethrowInTransaction(err, this.location);
    } finally {
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.closing ??= this.pool.end().catch(() => undefined);
    return this.closing;
  }
}
