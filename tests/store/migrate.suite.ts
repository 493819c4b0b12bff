/**
 * Migration runner behaviour, run on embedded PGlite (migrate.test.ts) and server Postgres
 * (migrate.pg.test.ts). Each test migrates its own fresh schema; copies of sql/ in a temp dir
 * stand in for an edited, a newer or a broken set of files.
 */
import { appendFileSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MigrationError } from '../../src/errors.ts';
import { SoleLeadership } from '../../src/store/leadership.ts';
import { loadMigrations, migrate, migrationStatus, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import { uniqueSchema } from '../helpers/pg.ts';
import { prediction } from './fixtures.ts';

export interface MigrationTarget {
  db: SqlClient;
  /** Drops every schema this suite created. */
  dropSchemas(schemas: string[]): Promise<void>;
  close(): Promise<void>;
}

/** An in-memory embedded database as the target: closing it discards every schema. */
export async function inMemoryTarget(open: () => Promise<SqlClient>): Promise<MigrationTarget> {
  const db = await open();
  return {
    db,
    async dropSchemas() {
      // in memory: closing discards everything
    },
    close: () => db.close(),
  };
}

const FILES = loadMigrations();

async function failure(p: Promise<unknown>): Promise<MigrationError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(MigrationError);
  return err as MigrationError;
}

/** Everything observable about a schema: its relations, functions, and applied migrations. */
async function snapshot(db: SqlClient, schema: string) {
  const { rows: relations } = await db.query<{ name: string; kind: string }>(
    `SELECT c.relname AS name, c.relkind::text AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = $1 AND NOT c.relispartition ORDER BY 1`,
    [schema],
  );
  const { rows: functions } = await db.query<{ name: string }>(
    `SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = $1 ORDER BY 1`,
    [schema],
  );
  const { rows: applied } = await db.query<{ name: string; checksum: string }>(
    `SELECT name, checksum FROM "${schema}".ml_schema_migrations ORDER BY name`,
  );
  const { rows: candles } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${schema}".ml_candles`);
  return { relations, functions, applied, candles: candles[0]!.n };
}

export function migrationSuite(label: string, open: () => Promise<MigrationTarget>): void {
  describe(`migrations: ${label}`, () => {
    let t: MigrationTarget;
    const schemas: string[] = [];
    const dirs: string[] = [];
    const newSchema = () => {
      const s = uniqueSchema('sbt_mig');
      schemas.push(s);
      return s;
    };
    /** A copy of sql/ that a test may edit. */
    const copyOfSql = () => {
      const dir = mkdtempSync(join(tmpdir(), 'sb-sql-'));
      cpSync(MIGRATIONS_DIR, dir, { recursive: true });
      dirs.push(dir);
      return dir;
    };

    beforeAll(async () => {
      t = await open();
    });
    afterAll(async () => {
      await t?.dropSchemas(schemas);
      await t?.close();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    });

    it('creates the whole schema, then a second run applies nothing', async () => {
      const schema = newSchema();
      const first = await migrate(t.db, { schema });
      expect(first.applied).toEqual(FILES.map((f) => f.name));
      expect(first.total).toBe(FILES.length);
      const second = await migrate(t.db, { schema });
      expect(second).toEqual({ applied: [], adopted: [], total: FILES.length });
      const status = await migrationStatus(t.db, schema);
      expect(status).toEqual({ applied: FILES.map((f) => f.name), pending: [], changed: [], unknown: [], adoptable: [] });

      const snap = await snapshot(t.db, schema);
      expect(snap.applied.map((r) => r.checksum)).toEqual(FILES.map((f) => f.checksum));
      // 'p': ml_predictions is partitioned by month (its partitions, named by month, are left out).
      const tables = snap.relations.filter((r) => r.kind === 'r' || r.kind === 'p').map((r) => r.name);
      expect(tables).toEqual(
        [
          'ml_api_key_usage',
          'ml_api_keys',
          'ml_backtests',
          'ml_broadcast_settings',
          'ml_candles',
          'ml_function_usage',
          'ml_generation_logs',
          'ml_indicator_weights',
          'ml_leader_leases',
          'ml_model_artifacts',
          'ml_model_drift',
          'ml_model_performance',
          'ml_models',
          'ml_prediction_daily',
          'ml_predictions',
          'ml_retrain_requests',
          'ml_rollup_state',
          'ml_schema_migrations',
          'ml_settings',
          'ml_training_samples',
        ].sort(),
      );
      expect(snap.relations.filter((r) => r.kind === 'v').map((r) => r.name)).toEqual([
        'ml_active_model',
        'ml_open_signals',
        'ml_recent_training_runs',
      ]);
      for (const fn of [
        'get_latest_indicator_weights',
        'get_model_performance_metrics',
        'calculate_trading_statistics',
        'detect_model_drift',
        'get_ml_dashboard_data',
        'get_performance_trends',
        'validate_ml_api_key',
        'create_ml_api_key',
      ]) {
        expect(snap.functions.map((f) => f.name)).toContain(fn);
      }
    });

    it('refuses an applied file whose content changed, naming it, and applies nothing else', async () => {
      const schema = newSchema();
      const dir = copyOfSql();
      await migrate(t.db, { schema, dir });
      const edited = FILES[3]!.name;
      appendFileSync(join(dir, edited), '\n-- an innocent-looking edit\n');
      writeFileSync(join(dir, '20991231000000_next.sql'), 'CREATE TABLE sbt_next (id int);');
      const before = await snapshot(t.db, schema);

      const err = await failure(migrate(t.db, { schema, dir }));
      expect(err.code).toBe('MIGRATION_CHANGED');
      expect(err.message).toContain(edited);
      expect(err.message).toContain('new migration');
      expect(await snapshot(t.db, schema)).toEqual(before);
      expect((await migrationStatus(t.db, schema, loadMigrations(dir))).changed).toEqual([edited]);
    });

    it('ignores CRLF line endings when comparing checksums', async () => {
      const schema = newSchema();
      const dir = copyOfSql();
      await migrate(t.db, { schema, dir });
      const f = FILES[8]!;
      writeFileSync(join(dir, f.name), f.sql.replace(/\n/g, '\r\n'));
      expect(await migrate(t.db, { schema, dir })).toEqual({ applied: [], adopted: [], total: FILES.length });
    });

    it('refuses a schema newer than the code', async () => {
      const schema = newSchema();
      await migrate(t.db, { schema });
      await t.db.query(`INSERT INTO "${schema}".ml_schema_migrations (name, checksum) VALUES ('29991231000000_future.sql', 'x')`);
      const err = await failure(migrate(t.db, { schema }));
      expect(err.code).toBe('SCHEMA_NEWER');
      expect(err.message).toContain('29991231000000_future.sql');
      expect(err.message).toContain('newer than this signalbase');
      expect((await migrationStatus(t.db, schema)).unknown).toEqual(['29991231000000_future.sql']);
    });

    it('rolls back a migration that fails halfway and names the file, line and cause', async () => {
      const schema = newSchema();
      const dir = copyOfSql();
      await migrate(t.db, { schema, dir });
      writeFileSync(
        join(dir, '20991231000000_broken.sql'),
        [
          'CREATE TABLE sbt_half (id int);',
          "INSERT INTO ml_candles (symbol, timeframe, open_time, open, high, low, close, volume)",
          "  VALUES ('LTC/BTC', '5m', now(), 1, 1, 1, 1, 1);",
          'DROP TABLE ml_generation_logs;',
          'SELECT no_such_column FROM ml_candles;',
          '',
        ].join('\n'),
      );
      const before = await snapshot(t.db, schema);
      const err = await failure(migrate(t.db, { schema, dir }));
      expect(err.code).toBe('MIGRATION_FAILED');
      expect(err.message).toContain('20991231000000_broken.sql');
      expect(err.message).toContain('line 5');
      expect(err.message).toContain('no_such_column');
      expect(err.context.sqlState).toBe('42703'); // undefined_column
      expect(await snapshot(t.db, schema)).toEqual(before);
    });

    it('refuses a file not named <14-digit timestamp>_<name>.sql', async () => {
      const dir = copyOfSql();
      writeFileSync(join(dir, '2026_bad.sql'), 'SELECT 1;');
      const err = await failure(migrate(t.db, { schema: newSchema(), dir }));
      expect(err.code).toBe('MIGRATION_BAD_NAME');
      expect(err.message).toContain('2026_bad.sql');
    });

    it('keeps two schemas of one database apart, functions included', async () => {
      const a = newSchema();
      const b = newSchema();
      await migrate(t.db, { schema: a });
      await migrate(t.db, { schema: b });
      const lead = new SoleLeadership();
      // Not closed: they share the suite's client, which afterAll closes.
      const storeA = new SqlStore(t.db, { schema: a, leadership: lead, serverVersion: null });
      const storeB = new SqlStore(t.db, { schema: b, leadership: lead, serverVersion: null });
      const now = Date.now();
      const p = prediction({ symbol: 'ISO/BTC', candleTime: now - (now % 300_000), createdAt: now });
      expect(await storeA.insertPredictions([p])).toBe(1);
      await storeA.setWeights({ rsi_value: 1.9 });

      expect(await storeB.getPrediction(p.id)).toBeNull();
      expect(await storeB.readPredictions({})).toEqual([]);
      expect((await storeB.getWeights()).find((w) => w.name === 'rsi_value')!.currentWeight).toBe(1);
      expect((await storeA.dashboard()).total_predictions_today).toBe(1);
      expect((await storeB.dashboard()).total_predictions_today).toBe(0);

      // A function resolves its own schema whatever the caller's search_path says.
      const rows = await t.db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL search_path TO "${b}", public`);
        return (await tx.query<{ n: number }>(`SELECT total_predictions_today AS n FROM "${a}".get_ml_dashboard_data()`)).rows;
      });
      expect(rows[0]!.n).toBe(1);
    });
  });
}
