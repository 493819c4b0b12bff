/**
 * SupabaseStore → supabase-js → fake PostgREST (tests/helpers/fake-postgrest.ts) → a real database:
 * in-memory PGlite (always) or a fresh schema on server Postgres (*.pg.test.ts). The schema is
 * migrated directly through SQL first, as `signalbase migrate` / `supabase db push` would do it.
 * A fake Storage shares the origin, so artifacts opened through openStore land there.
 */
import { randomBytes } from 'node:crypto';
import { openStore } from '../../src/store/index.ts';
import { migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import type { SupabaseStore } from '../../src/store/supabase/store.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';
import { createFakeStorage, type FakeStorage } from '../helpers/fake-storage.ts';
import { createTestSchema, silentLogger, testConfig } from '../helpers/pg.ts';
import type { ContractTarget } from './contract.ts';

export interface SupabaseTarget {
  db: SqlClient;
  schema: string;
  rest: FakePostgrest;
  /** Supabase Storage on the same origin (model artifacts go there when Supabase is configured). */
  storage: FakeStorage;
  key: string;
  /** Opens a SupabaseStore on the fake through openStore (as the daemon does). */
  open(env?: Record<string, string>): Promise<SupabaseStore>;
  close(): Promise<void>;
}

export const serviceRoleKey = () => `test-service-role-${randomBytes(16).toString('hex')}`;

async function target(db: SqlClient, schema: string, cleanup: () => Promise<void>, maxRows?: number): Promise<SupabaseTarget> {
  await migrate(db, { schema });
  const key = serviceRoleKey();
  const storage = createFakeStorage(key);
  const rest = await startFakePostgrest({ db, schema, serviceRoleKey: key, maxRows, services: [storage] });
  return {
    db,
    schema,
    rest,
    storage,
    key,
    async open(env = {}) {
      const config = testConfig({ SUPABASE_URL: rest.url, SUPABASE_SERVICE_ROLE_KEY: key, SIGNALBASE_SCHEMA: schema, ...env });
      return (await openStore(config, silentLogger())) as SupabaseStore;
    },
    async close() {
      await rest.close();
      await db.close();
      await cleanup();
    },
  };
}

/** PGlite in memory, schema `schema` (not public: the profile headers must carry it). */
export async function pgliteTarget(schema = 'signalbase', maxRows?: number): Promise<SupabaseTarget> {
  return target(await PgliteSqlClient.open(), schema, async () => undefined, maxRows);
}

/** A fresh schema of the server test database. */
export async function serverTarget(url: string, maxRows?: number): Promise<SupabaseTarget> {
  const ts = createTestSchema('sbt_supa', url);
  const db = new PgSqlClient({ url, log: silentLogger(), poolSize: 4 });
  return target(db, ts.schema, () => ts.drop(), maxRows);
}

/** A SupabaseTarget as the Store contract suite (tests/store/contract.ts) takes it. */
export async function contractTarget(t: SupabaseTarget): Promise<ContractTarget> {
  const store = await t.open();
  return {
    store,
    kind: 'supabase',
    sql: t.db,
    async close() {
      await store.close();
      await t.close();
    },
  };
}
