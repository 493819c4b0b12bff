/**
 * Embedded Postgres (PGlite) behind SqlClient. With a directory, the data persists there and a lock
 * file beside it (`<dir>.lock`) keeps a second process out; without one, it lives in memory (tests).
 * PGlite runs one statement at a time, so a transaction simply holds it until COMMIT.
 */
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { acquireLockFile, type HeldLock } from './lock-file.ts';
import { rethrowInTransaction, toStoreError } from './pg-errors.ts';
import { PrivateNodeFS } from './pglite-private-fs.ts';
import type { Row, SqlClient, SqlExecutor, SqlResult } from './sql-client.ts';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

function executor(target: Queryable, location: string): SqlExecutor {
  return {
    async query<R = Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> {
      try {
        const res = await target.query<R>(text, params as unknown[]);
        return { rows: res.rows, rowCount: res.rowCount ?? res.affectedRows ?? res.rows.length };
      } catch (err) {
        throw toStoreError(err, location);
      }
    },
    async exec(script: string): Promise<void> {
      try {
        await target.exec(script);
      } catch (err) {
        throw toStoreError(err, location);
      }
    },
  };
}

export class PgliteSqlClient implements SqlClient {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private readonly db: PGlite;
  private readonly lock: HeldLock | null;
  private readonly direct: SqlExecutor;
  private closing: Promise<void> | null = null;

  private constructor(db: PGlite, location: string, lock: HeldLock | null) {
    this.db = db;
    this.location = location;
    this.lock = lock;
    this.direct = executor(db, location);
  }

  /** Opens (creating if needed) the store in `dir`, or an in-memory one when `dir` is undefined. */
  static async open(dir?: string): Promise<PgliteSqlClient> {
    if (dir === undefined) return new PgliteSqlClient(await PGlite.create(), ':memory:', null);
    const lock = acquireLockFile(`${dir}.lock`, `embedded store ${dir}`);
    try {
      const db = await PGlite.create({ fs: new PrivateNodeFS(dir) });
      return new PgliteSqlClient(db, dir, lock);
    } catch (err) {
      lock.release();
      throw toStoreError(err, dir);
    }
  }

  query<R = Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>> {
    return this.direct.query<R>(text, params);
  }

  exec(script: string): Promise<void> {
    return this.direct.exec(script);
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    try {
      return await this.db.transaction((tx) => fn(executor(tx, this.location)));
    } catch (err) {
      return rethrowInTransaction(err, this.location);
    }
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.db.closed) await this.db.close();
      } finally {
        this.lock?.release();
      }
    })();
    return this.closing;
  }
}
