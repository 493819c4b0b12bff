/**
 * The one SQL seam of the store: embedded PGlite and a pg pool both implement SqlClient, so the
 * migration runner and SqlStore run the same SQL against either. Implementations turn every driver
 * failure into a StoreError (see pg-errors.ts).
 */
export type Row = Record<string, unknown>;

export interface SqlResult<R = Row> {
  rows: R[];
  /** Rows affected by INSERT / UPDATE / DELETE; rows returned by SELECT. */
  rowCount: number;
}

export interface SqlExecutor {
  /** One statement with $1.. parameters (extended protocol). */
  query<R = Row>(text: string, params?: readonly unknown[]): Promise<SqlResult<R>>;
  /** A script of several statements, no parameters (simple protocol). */
  exec(script: string): Promise<void>;
}

export interface SqlClient extends SqlExecutor {
  readonly kind: 'embedded' | 'postgres';
  /** Where the database lives, with no secret: a path, ':memory:', or host:port/database. */
  readonly location: string;
  /** Runs `fn` inside BEGIN / COMMIT on one connection; any error rolls back and is rethrown. */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** A schema name as a quoted SQL identifier. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
