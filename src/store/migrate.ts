/**
 * The migration runner: sql/<14-digit timestamp>_<name>.sql files in name order, each applied once,
 * each in its own transaction, recorded with its checksum in <schema>.ml_schema_migrations.
 *
 * - Concurrent runs against one schema are safe: every transaction first takes an advisory lock
 *   keyed on the schema, then re-reads what is applied.
 * - An applied file whose content changed is refused (MIGRATION_CHANGED), as is a database that has
 *   migrations this code does not know (SCHEMA_NEWER): both before anything is applied.
 * - A failing file rolls back entirely; the error names the file, the line and Postgres' message.
 *
 * The files use unqualified names: each runs with search_path "<schema>", public, so the same files
 * work for any SIGNALBASE_SCHEMA and unchanged under the Supabase CLI (which applies them to public).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MigrationError, StoreError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { quoteIdent, type SqlClient, type SqlExecutor } from './sql-client.ts';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
export const MIN_SERVER_VERSION_NUM = 140000;
const FILE_NAME = /^\d{14}_[a-z0-9_]+\.sql$/;

export interface MigrationFile {
  name: string;
  checksum: string;
  sql: string;
}

export interface MigrationStatus {
  /** Applied files that are also on disk, unchanged. */
  applied: string[];
  pending: string[];
  /** Applied files whose content on disk differs from what was applied. */
  changed: string[];
  /** Applied in the database, unknown to this code: the schema is newer. */
  unknown: string[];
}

export interface MigrateOptions {
  schema: string;
  /** Defaults to the repository's sql/. */
  dir?: string;
  log?: Logger;
}

export interface MigrateResult {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Migrations the schema now has. */
  total: number;
}

/** sha256 of the file with line endings normalised, so a CRLF checkout does not look edited. */
export function checksumOf(sql: string): string {
  return createHash('sha256').update(sql.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
}

export function loadMigrations(dir: string = MIGRATIONS_DIR): MigrationFile[] {
  const names = readdirSync(dir)
    .filter((n) => n.endsWith('.sql'))
    .sort();
  return names.map((name) => {
    if (!FILE_NAME.test(name)) {
      throw new MigrationError('MIGRATION_BAD_NAME', `migration file ${name} in ${dir} is not named <14-digit timestamp>_<name>.sql; rename it`, {
        context: { file: name },
      });
    }
    const sql = readFileSync(`${dir}/${name}`, 'utf8');
    return { name, checksum: checksumOf(sql), sql };
  });
}

/** Refuses Postgres older than 14 with a message naming the minimum; returns the version string. */
export async function checkServerVersion(db: SqlExecutor): Promise<string> {
  const { rows } = await db.query<{ num: string; version: string }>(
    "SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version",
  );
  const num = Number(rows[0]?.num ?? 0);
  const version = rows[0]?.version ?? 'unknown';
  if (num < MIN_SERVER_VERSION_NUM) {
    throw new StoreError('PG_VERSION_UNSUPPORTED', `Postgres ${version} is too old: signalbase needs PostgreSQL 14 or newer (or the embedded store: unset DATABASE_URL)`, {
      context: { version, versionNum: num },
    });
  }
  return version;
}

const lockSql = 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))';
const lockKey = (schema: string) => `signalbase:migrate:${schema}`;

async function readApplied(db: SqlExecutor, schema: string): Promise<Map<string, string> | null> {
  const { rows: exists } = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [
    `${quoteIdent(schema)}.ml_schema_migrations`,
  ]);
  if (!exists[0]?.ok) return null;
  const { rows } = await db.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM ${quoteIdent(schema)}.ml_schema_migrations ORDER BY name`,
  );
  return new Map(rows.map((r) => [r.name, r.checksum]));
}

export function compareMigrations(files: MigrationFile[], applied: Map<string, string> | null): MigrationStatus {
  const onDisk = new Map(files.map((f) => [f.name, f.checksum]));
  const status: MigrationStatus = { applied: [], pending: [], changed: [], unknown: [] };
  for (const f of files) {
    const sum = applied?.get(f.name);
    if (sum === undefined) status.pending.push(f.name);
    else if (sum !== f.checksum) status.changed.push(f.name);
    else status.applied.push(f.name);
  }
  for (const name of applied?.keys() ?? []) if (!onDisk.has(name)) status.unknown.push(name);
  return status;
}

/** What is applied, pending, changed or unknown; reads only. */
export async function migrationStatus(db: SqlExecutor, schema: string, files: MigrationFile[] = loadMigrations()): Promise<MigrationStatus> {
  return compareMigrations(files, await readApplied(db, schema));
}

/** Throws the error a status calls for: changed files first, then a newer schema. */
export function assertMigratable(status: MigrationStatus, schema: string): void {
  if (status.changed.length > 0) {
    const name = status.changed[0]!;
    throw new MigrationError(
      'MIGRATION_CHANGED',
      `migration ${name} was edited after it was applied to schema "${schema}"; ` +
        `restore its original content and put the change in a new migration file instead of editing an applied one`,
      { context: { file: name, changed: status.changed } },
    );
  }
  if (status.unknown.length > 0) {
    throw new MigrationError(
      'SCHEMA_NEWER',
      `database schema "${schema}" is newer than this signalbase: it has migration ${status.unknown.join(', ')} ` +
        `that this version does not know; upgrade signalbase, or use another SIGNALBASE_SCHEMA`,
      { context: { unknown: status.unknown } },
    );
  }
}

function lineOf(sql: string, position: unknown): number | null {
  const pos = Number(position);
  if (!Number.isInteger(pos) || pos < 1) return null;
  return sql.slice(0, pos - 1).split('\n').length;
}

/** Applies what is pending. Safe to run concurrently with itself against the same schema. */
export async function migrate(db: SqlClient, opts: MigrateOptions): Promise<MigrateResult> {
  const { schema, log } = opts;
  const files = loadMigrations(opts.dir);
  await checkServerVersion(db);
  const q = quoteIdent(schema);

  const pending = await db.transaction(async (tx) => {
    await tx.query(lockSql, [lockKey(schema)]);
    const status = compareMigrations(files, await readApplied(tx, schema));
    assertMigratable(status, schema);
    if (status.pending.length > 0) {
      // Only when missing: CREATE SCHEMA checks the CREATE privilege on the database even with
      // IF NOT EXISTS, and a Supabase project's public schema exists already.
      const { rows } = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (rows.length === 0) await tx.exec(`CREATE SCHEMA ${q}`);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${q}.ml_schema_migrations (
           name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    }
    return status.pending;
  });

  const applied: string[] = [];
  for (const name of pending) {
    const file = files.find((f) => f.name === name)!;
    const didApply = await db.transaction(async (tx) => {
      await tx.query(lockSql, [lockKey(schema)]);
      // Another run may have applied it (or changed the picture) while we waited for the lock.
      const status = compareMigrations(files, await readApplied(tx, schema));
      assertMigratable(status, schema);
      if (!status.pending.includes(name)) return false;
      await tx.exec(`SET LOCAL search_path TO ${q}, public`);
      try {
        await tx.exec(file.sql);
      } catch (err) {
        const ctx = err instanceof StoreError ? err.context : {};
        const line = lineOf(file.sql, ctx.position);
        const done = applied.length > 0 ? ` (${applied.length} earlier migration(s) of this run stay applied)` : '';
        throw new MigrationError(
          'MIGRATION_FAILED',
          `migration ${name} failed${line ? ` at line ${line}` : ''} and was rolled back: ${(err as Error).message}${done}`,
          { context: { file: name, line, sqlState: ctx.sqlState, appliedBefore: [...applied] }, cause: err },
        );
      }
      await tx.query(`INSERT INTO ${q}.ml_schema_migrations (name, checksum) VALUES ($1, $2)`, [name, file.checksum]);
      return true;
    });
    if (didApply) {
      applied.push(name);
      log?.info({ migration: name, schema }, 'migration applied');
    }
  }

  const total = (await migrationStatus(db, schema, files)).applied.length;
  return { applied, total };
}
