/**
 * `supabase db push` then `signalbase migrate` on one server database: the runner adopts what the
 * Supabase CLI applied instead of running it again, and the REST store accepts a CLI-applied schema.
 *
 * applyLikeSupabaseCli mirrors the CLI (supabase/cli pkg/migration/history.go and file.go): the
 * table DDL of CreateMigrationTable, then per file one transaction (ExecBatch is "implicitly
 * transactional") with the file's statements followed by INSERT_MIGRATION_VERSION (version, name,
 * statements), version/name split by migrateFilePattern `^([0-9]+)_(.*)\.sql$`. Differences: the
 * file runs as one simple-query string where the CLI sends its statements split by its parser, so
 * `statements` holds the file as one element; nothing here reads `statements`.
 *
 * The CLI's table has a fixed name (supabase_migrations.schema_migrations), so the scenario that uses
 * that name gets a database of its own, dropped afterwards; the other one passes the runner its own
 * table name in its own schema of the shared test database.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { checksumOf, cliVersionOf, loadMigrations, migrate, migrationStatus, SUPABASE_CLI_TABLE, type MigrationFile } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { openSupabaseStore } from '../../src/store/supabase/store.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';
import { createTestSchema, serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';
import { runCli } from './cli-run.ts';
import { serviceRoleKey } from './supabase-target.ts';

const server = await serverPostgres();
const FILES = loadMigrations();
const NAMES = FILES.map((f) => f.name);

/** `supabase db push` of `files`, recording them in `table` ("schema.table"), objects in `searchPath`. */
async function applyLikeSupabaseCli(db: SqlClient, files: MigrationFile[], table: string, searchPath = 'public'): Promise<void> {
  const [schema] = table.split('.');
  await db.exec(`CREATE SCHEMA IF NOT EXISTS ${schema};
    CREATE TABLE IF NOT EXISTS ${table} (version text NOT NULL PRIMARY KEY);
    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS statements text[];
    ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS name text`);
  for (const file of files) {
    const { version, name } = cliVersionOf(file.name);
    await db.transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO ${searchPath}`);
      await tx.exec(file.sql);
      await tx.query(`INSERT INTO ${table} (version, name, statements) VALUES ($1, $2, $3)`, [version, name, [file.sql]]);
    });
  }
}

async function appliedRows(db: SqlClient, schema: string) {
  const { rows } = await db.query<{ name: string; checksum: string; applied_by: string }>(
    `SELECT name, checksum, applied_by FROM "${schema}".ml_schema_migrations ORDER BY name`,
  );
  return rows;
}

describe.runIf(server.available)('supabase db push, then signalbase migrate (database of its own)', () => {
  const dbName = uniqueSchema('sbt_cli');
  const dbUrl = (() => {
    const u = new URL(server.url);
    u.pathname = `/${dbName}`;
    return u.toString();
  })();
  const key = serviceRoleKey();
  let admin: pg.Client;
  let db: PgSqlClient;
  let rest: FakePostgrest;
  const openRest = () => openSupabaseStore({ url: rest.url, serviceRoleKey: key, schema: 'public', log: silentLogger(), retry: { attempts: 1 } });

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    db = new PgSqlClient({ url: dbUrl, log: silentLogger(), poolSize: 2 });
    await applyLikeSupabaseCli(db, FILES, SUPABASE_CLI_TABLE);
    // The project's own migration, pushed beside sql/: not signalbase's, not a newer schema.
    await db.query(`INSERT INTO ${SUPABASE_CLI_TABLE} (version, name, statements) VALUES ('20250101000000', 'create_profiles', '{}')`);
    rest = await startFakePostgrest({ db, schema: 'public', serviceRoleKey: key });
  }, 120_000);
  afterAll(async () => {
    await rest?.close();
    await db?.close();
    await admin?.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin?.end();
  });

  it('the REST store accepts the CLI-applied schema (by version, through sb_applied_migrations)', async () => {
    expect(await appliedRows(db, 'public')).toEqual([]);
    const store = await openRest();
    try {
      expect(rest.requests).toContainEqual({ method: 'POST', path: '/rest/v1/rpc/sb_applied_migrations', status: 200 });
    } finally {
      await store.close();
    }
  });

  it('the REST store still refuses a schema truly behind, naming the file and what to run', async () => {
    const missing = FILES[9]!;
    const { version } = cliVersionOf(missing.name);
    const { rows } = await db.query<{ name: string }>(`DELETE FROM ${SUPABASE_CLI_TABLE} WHERE version = $1 RETURNING name`, [version]);
    try {
      const err = await openRest().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED' });
      expect((err as StoreError).message).toContain(missing.name);
      expect((err as StoreError).message).toMatch(/signalbase migrate.*supabase db push/);
    } finally {
      await db.query(`INSERT INTO ${SUPABASE_CLI_TABLE} (version, name, statements) VALUES ($1, $2, '{}')`, [version, rows[0]!.name]);
    }
  });

  it('`signalbase migrate` adopts every file without running it, says so, and reports up to date', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: dbUrl, SIGNALBASE_SCHEMA: 'public' });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.slice(0, NAMES.length)).toEqual(NAMES.map((n) => `adopted ${n} (applied by supabase db push; recorded, not run again)`));
    expect(lines[NAMES.length]).toMatch(new RegExp(`^schema up to date \\(${NAMES.length} migrations\\)`));
    expect(lines).toHaveLength(NAMES.length + 1);
    expect(await appliedRows(db, 'public')).toEqual(FILES.map((f) => ({ name: f.name, checksum: checksumOf(f.sql), applied_by: 'supabase db push' })));
    // Not run twice: the seed migration's 17 weights are there once.
    const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM public.ml_indicator_weights');
    expect(rows[0]!.n).toBe(17);
  }, 120_000);

  it('a second run applies and adopts nothing; the REST store accepts the adopted schema', async () => {
    expect(await migrate(db, { schema: 'public' })).toEqual({ applied: [], adopted: [], total: NAMES.length });
    const store = await openRest();
    await store.close();
  });
});

describe.runIf(server.available)('supabase db push of all but the newest file, then signalbase migrate (own CLI table)', () => {
  const ts = createTestSchema('sbt_adopt');
  const cliSchema = `${ts.schema}_cli`;
  const cliTable = `${cliSchema}.schema_migrations`;
  let db: PgSqlClient;

  beforeAll(async () => {
    db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 2 });
    await db.exec(`CREATE SCHEMA ${ts.schema}`);
    await applyLikeSupabaseCli(db, FILES.slice(0, -1), cliTable, `${ts.schema}, public`);
  }, 120_000);
  afterAll(async () => {
    await db?.exec(`DROP SCHEMA IF EXISTS ${cliSchema} CASCADE`);
    await db?.close();
    await ts.drop();
  });

  it('status: the CLI-applied files count as applied (adoptable), the newest one pends', async () => {
    const s = await migrationStatus(db, ts.schema, FILES, cliTable);
    expect(s).toEqual({ applied: NAMES.slice(0, -1), adoptable: NAMES.slice(0, -1), pending: NAMES.slice(-1), changed: [], unknown: [] });
    // The default table (supabase_migrations.schema_migrations) knows nothing of this schema's files.
    expect((await migrationStatus(db, ts.schema, FILES, 'sbt_absent.schema_migrations')).pending).toEqual(NAMES);
  });

  it('adopts the CLI-applied files, runs the one the CLI did not record, and notes who applied each', async () => {
    const r = await migrate(db, { schema: ts.schema, supabaseCliTable: cliTable });
    expect(r).toEqual({ applied: NAMES.slice(-1), adopted: NAMES.slice(0, -1), total: NAMES.length });
    // The files before 20261122001100 were adopted before their applied_by column existed.
    expect((await appliedRows(db, ts.schema)).map((x) => [x.name, x.applied_by])).toEqual(
      NAMES.map((n, i) => [n, i < NAMES.length - 1 ? 'supabase db push' : 'signalbase migrate']),
    );
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${ts.schema}".sb_applied_migrations() WHERE source = 'signalbase'`);
    expect(rows[0]!.n).toBe(NAMES.length);
    expect(await migrate(db, { schema: ts.schema, supabaseCliTable: cliTable })).toEqual({ applied: [], adopted: [], total: NAMES.length });
  });

  it('only service_role may call sb_applied_migrations() or read ml_schema_migrations', async () => {
    const as = (role: string, sql: string) =>
      db
        .transaction(async (tx) => {
          await tx.exec(`SET LOCAL ROLE ${role}`);
          return (await tx.query(sql)).rows.length;
        })
        .catch((e: unknown) => (e as StoreError).context.sqlState);
    for (const role of ['anon', 'authenticated']) {
      expect(await as(role, `SELECT * FROM "${ts.schema}".sb_applied_migrations()`)).toBe('42501');
      expect(await as(role, `SELECT * FROM "${ts.schema}".ml_schema_migrations`)).toBe('42501');
    }
    expect(await as('service_role', `SELECT * FROM "${ts.schema}".sb_applied_migrations()`)).toBe(NAMES.length);
  });
});
