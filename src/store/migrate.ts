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
 *
 * - A file the Supabase CLI applied (`supabase db push` records it in its own table, not in
 *   ml_schema_migrations) is ADOPTED instead of run again: recorded with its checksum and
 *   applied_by = 'supabase db push'. So a schema may be brought up by either tool, in any order.
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

/**
 * Where the Supabase CLI records what `supabase db push` applied. From supabase/cli
 * pkg/migration/history.go: CREATE TABLE supabase_migrations.schema_migrations (version text
 * PRIMARY KEY) plus `statements text[]` and `name text`, written by INSERT_MIGRATION_VERSION in the
 * same implicit transaction as the file's statements (pkg/migration/file.go ExecBatch); and from
 * file.go's migrateFilePattern `^([0-9]+)_(.*)\.sql$`: version = the digits before the first `_`,
 * name = the rest without `.sql`. So our <14 digits>_<name>.sql is version <14 digits>, name <name>.
 * The name is fixed in the CLI (a TODO there to make it configurable); tests pass their own.
 */
export const SUPABASE_CLI_TABLE = 'supabase_migrations.schema_migrations';
export const ADOPTED_BY = 'supabase db push';

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
  /**
   * Applied by the Supabase CLI but not (yet) in ml_schema_migrations: counted in `applied` (the
   * schema has them), recorded by the next `migrate`. Their content cannot be checked: the CLI keeps
   * no checksum.
   */
  adoptable: string[];
}

export interface MigrateOptions {
  schema: string;
  /** Defaults to the repository's sql/. */
  dir?: string;
  log?: Logger;
  /** The Supabase CLI's table as "schema.table" (default SUPABASE_CLI_TABLE; tests isolate theirs). */
  supabaseCliTable?: string;
}

export interface MigrateResult {
  /** Files applied by this run, in order. */
  applied: string[];
  /** Files the Supabase CLI had applied, recorded by this run without running them. */
  adopted: string[];
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

/** `20261122000100_tables.sql` → version `20261122000100`, name `tables`, as the CLI splits it. */
export function cliVersionOf(file: string): { version: string; name: string } {
  const m = /^(\d+)_(.*)\.sql$/.exec(file);
  return { version: m?.[1] ?? '', name: m?.[2] ?? '' };
}

/** version → name (empty when the CLI predates its name column) of what the Supabase CLI applied. */
export type CliApplied = ReadonlyMap<string, string>;

function quoteQualified(table: string): string {
  const dot = table.indexOf('.');
  if (dot < 1) throw new MigrationError('MIGRATION_BAD_CLI_TABLE', `Supabase CLI table "${table}" is not schema.table`);
  return `${quoteIdent(table.slice(0, dot))}.${quoteIdent(table.slice(dot + 1))}`;
}

/**
 * The Supabase CLI's record, empty when it has none. It may also hold the project's own migrations
 * (versions that are not in sql/): those are none of signalbase's business and are ignored.
 */
async function readCliApplied(db: SqlExecutor, table: string): Promise<Map<string, string>> {
  const qualified = quoteQualified(table);
  const { rows: exists } = await db.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [qualified]);
  if (!exists[0]?.ok) return new Map();
  const { rows } = await db.query<{ version: string; name: string }>(`SELECT version, coalesce(name, '') AS name FROM ${qualified}`);
  return new Map(rows.map((r) => [r.version, r.name]));
}

/** Whether the CLI recorded this very file: same version, and same name when it recorded one. */
function cliApplied(file: string, cli: CliApplied): boolean {
  const { version, name } = cliVersionOf(file);
  const recorded = cli.get(version);
  return recorded !== undefined && (recorded === '' || recorded === name);
}

export function compareMigrations(files: MigrationFile[], applied: Map<string, string> | null, cli: CliApplied = new Map()): MigrationStatus {
  const onDisk = new Map(files.map((f) => [f.name, f.checksum]));
  const status: MigrationStatus = { applied: [], pending: [], changed: [], unknown: [], adoptable: [] };
  for (const f of files) {
    const sum = applied?.get(f.name);
    if (sum === undefined && cliApplied(f.name, cli)) {
      status.applied.push(f.name);
      status.adoptable.push(f.name);
    } else if (sum === undefined) status.pending.push(f.name);
    else if (sum !== f.checksum) status.changed.push(f.name);
    else status.applied.push(f.name);
  }
  for (const name of applied?.keys() ?? []) if (!onDisk.has(name)) status.unknown.push(name);
  return status;
}

/** What is applied, pending, changed or unknown; reads only. */
export async function migrationStatus(
  db: SqlExecutor,
  schema: string,
  files: MigrationFile[] = loadMigrations(),
  supabaseCliTable: string = SUPABASE_CLI_TABLE,
): Promise<MigrationStatus> {
  return compareMigrations(files, await readApplied(db, schema), await readCliApplied(db, supabaseCliTable));
}

async function hasAppliedByColumn(db: SqlExecutor, schema: string): Promise<boolean> {
  const { rows } = await db.query(
    `SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'applied_by' AND NOT attisdropped`,
    [`${quoteIdent(schema)}.ml_schema_migrations`],
  );
  return rows.length > 0;
}

/**
 * Says who applied the adopted files, once the applied_by column exists: it comes with
 * 20261122001100_migration_adoption.sql, which a run may adopt or apply after the earlier files.
 */
async function noteAdopted(db: SqlExecutor, schema: string, names: string[]): Promise<void> {
  if (names.length === 0 || !(await hasAppliedByColumn(db, schema))) return;
  await db.query(`UPDATE ${quoteIdent(schema)}.ml_schema_migrations SET applied_by = $1 WHERE name = ANY($2)`, [ADOPTED_BY, names]);
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
  const cliTable = opts.supabaseCliTable ?? SUPABASE_CLI_TABLE;
  const files = loadMigrations(opts.dir);
  await checkServerVersion(db);
  const q = quoteIdent(schema);

  const todo = await db.transaction(async (tx) => {
    await tx.query(lockSql, [lockKey(schema)]);
    const status = await migrationStatus(tx, schema, files, cliTable);
    assertMigratable(status, schema);
    if (status.pending.length + status.adoptable.length > 0) {
      // Only when missing: CREATE SCHEMA checks the CREATE privilege on the database even with
      // IF NOT EXISTS, and a Supabase project's public schema exists already.
      const { rows } = await tx.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (rows.length === 0) await tx.exec(`CREATE SCHEMA ${q}`);
      await tx.exec(
        `CREATE TABLE IF NOT EXISTS ${q}.ml_schema_migrations (
           name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
    }
    // In file order, so a file the CLI did not record runs after the ones before it were adopted.
    return files.map((f) => f.name).filter((n) => status.pending.includes(n) || status.adoptable.includes(n));
  });

  const applied: string[] = [];
  const adopted: string[] = [];
  for (const name of todo) {
    const file = files.find((f) => f.name === name)!;
    const did = await db.transaction(async (tx): Promise<'applied' | 'adopted' | null> => {
      await tx.query(lockSql, [lockKey(schema)]);
      // Another run may have applied it (or changed the picture) while we waited for the lock.
      const status = await migrationStatus(tx, schema, files, cliTable);
      assertMigratable(status, schema);
      if (status.adoptable.includes(name)) {
        await tx.query(`INSERT INTO ${q}.ml_schema_migrations (name, checksum) VALUES ($1, $2)`, [name, file.checksum]);
        await noteAdopted(tx, schema, [name]);
        return 'adopted';
      }
      if (!status.pending.includes(name)) return null;
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
      return 'applied';
    });
    if (did === 'applied') {
      applied.push(name);
      log?.info({ migration: name, schema }, 'migration applied');
    } else if (did === 'adopted') {
      adopted.push(name);
      log?.info({ migration: name, schema, appliedBy: ADOPTED_BY }, 'migration adopted: the Supabase CLI applied it, recorded without running it again');
    }
  }
  // Files adopted before this run applied the migration that adds applied_by get their note now.
  await noteAdopted(db, schema, adopted);

  const total = (await migrationStatus(db, schema, files, cliTable)).applied.length;
  return { applied, adopted, total };
}
