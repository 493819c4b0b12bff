/** Server-Postgres behaviour the contract cannot show: leadership failover, openStore refusals. */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MigrationError, StoreError } from '../../src/errors.ts';
import { openSqlClient, openStore } from '../../src/store/index.ts';
import type { Store } from '../../src/store/store.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig } from '../helpers/pg.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres: leadership and opening', () => {
  const ts = createTestSchema('sbt_extra');
  const config = testConfig({ DATABASE_URL: server.url, SIGNALBASE_SCHEMA: ts.schema });
  let a: Store;
  let b: Store;

  beforeAll(async () => {
    a = await openStore(config, silentLogger(), { migrate: true });
    b = await openStore(config, silentLogger());
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await ts.drop();
  });

  it('one leader at a time; when its session dies the lease is lost and another instance takes over', async () => {
    const lease = await a.tryAcquireLeadership('retrain');
    expect(lease).not.toBeNull();
    expect(await b.tryAcquireLeadership('retrain')).toBeNull();
    // Another name is another lock.
    const drift = await b.tryAcquireLeadership('drift');
    expect(drift).not.toBeNull();
    await drift!.release();

    // Kill the leader's connection the way a crashed host or a failover would.
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        `SELECT pg_terminate_backend(pid) AS killed FROM pg_stat_activity WHERE application_name = $1 AND datname = current_database()`,
        [`signalbase-leader:${ts.schema}:retrain`.slice(0, 63)],
      );
      expect(rows.length).toBeGreaterThanOrEqual(1);
    } finally {
      await admin.end();
    }
    await lease!.lost;
    let taken: Awaited<ReturnType<Store['tryAcquireLeadership']>> = null;
    await vi.waitFor(async () => {
      taken = await b.tryAcquireLeadership('retrain');
      expect(taken).not.toBeNull();
    });
    await taken!.release();
  });

  it('a leader lock in one schema does not block the same name in another schema', async () => {
    const other = createTestSchema('sbt_extra2');
    const c = await openStore(testConfig({ DATABASE_URL: server.url, SIGNALBASE_SCHEMA: other.schema }), silentLogger(), { migrate: true });
    try {
      const la = await a.tryAcquireLeadership('shared-name');
      const lc = await c.tryAcquireLeadership('shared-name');
      expect(la).not.toBeNull();
      expect(lc).not.toBeNull();
      await la!.release();
      await lc!.release();
    } finally {
      await c.close();
      await other.drop();
    }
  });

  it('refuses to open a schema with pending migrations unless asked to migrate', async () => {
    const fresh = createTestSchema('sbt_fresh');
    try {
      const err = await openStore(testConfig({ DATABASE_URL: server.url, SIGNALBASE_SCHEMA: fresh.schema }), silentLogger()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).code).toBe('SCHEMA_NOT_MIGRATED');
      expect((err as StoreError).message).toContain('signalbase migrate');
    } finally {
      await fresh.drop();
    }
  });

  it('refuses a schema newer than the code at open, and a database that does not exist', async () => {
    const admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    await admin.query(`INSERT INTO "${ts.schema}".ml_schema_migrations (name, checksum) VALUES ('29991231000000_future.sql', 'x')`);
    try {
      const err = await openStore(config, silentLogger()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect((err as MigrationError).code).toBe('SCHEMA_NEWER');
    } finally {
      await admin.query(`DELETE FROM "${ts.schema}".ml_schema_migrations WHERE name = '29991231000000_future.sql'`);
      await admin.end();
    }
    const missing = new URL(server.url);
    missing.pathname = '/signalbase_no_such_database';
    const err = await openStore(testConfig({ DATABASE_URL: missing.toString() }), silentLogger()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_DATABASE_MISSING', retryable: false });
  });

  it('the Supabase REST store has no SQL connection for migrate, and says what to run instead', async () => {
    const cfg = testConfig({ SUPABASE_URL: 'https://example.supabase.co', SUPABASE_SERVICE_ROLE_KEY: 'x'.repeat(40) });
    const err = await openSqlClient(cfg, silentLogger()).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_NO_SQL' });
    expect((err as Error).message).toMatch(/signalbase migrate.*DATABASE_URL.*supabase db push/);
  });
});
