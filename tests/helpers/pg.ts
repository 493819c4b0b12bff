/**
 * Server-Postgres helpers shared by every *.pg.test.ts file.
 *
 * - `serverPostgres()` decides whether a server suite runs: it runs when the server answers; with
 *   SIGNALBASE_TEST_PG=required an unreachable server FAILS the file instead of skipping it (CI);
 *   otherwise the suite is skipped, so `npm test` passes on a clean clone with no Postgres.
 * - `createTestSchema()` gives each test file its own fresh schema in the `test` database, dropped
 *   afterwards, so files running in parallel never see each other's rows.
 * - `memoryStore()`, `testConfig()`, `silentLogger()`: an in-memory embedded store, a Config from a
 *   given environment through the real parser, a logger that writes nothing.
 *
 * Usage:
 *   const pg = await serverPostgres();
 *   describe.runIf(pg.available)("...", () => { ... });
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { loadConfig, type Config } from '../../src/config.ts';
import { createLogger, type Logger } from '../../src/log.ts';
import { SoleLeadership } from '../../src/store/leadership.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { checkServerVersion, migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { SqlStore } from '../../src/store/sql-store.ts';

export const TEST_DATABASE_URL = process.env.SIGNALBASE_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const PG_REQUIRED = process.env.SIGNALBASE_TEST_PG === 'required';

export interface ServerPostgres {
  available: boolean;
  url: string;
  /** Why it is not available. */
  reason?: string;
}

let probe: Promise<ServerPostgres> | undefined;

async function reach(url: string): Promise<ServerPostgres> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { available: true, url };
  } catch (err) {
    return { available: false, url, reason: (err as Error).message };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether server-Postgres suites run; throws when they are required and the server is unreachable. */
export async function serverPostgres(): Promise<ServerPostgres> {
  probe ??= reach(TEST_DATABASE_URL);
  const result = await probe;
  if (!result.available && PG_REQUIRED) {
    throw new Error(
      `SIGNALBASE_TEST_PG=required but Postgres at ${new URL(TEST_DATABASE_URL).host} is unreachable: ${result.reason ?? 'unknown'}`,
    );
  }
  return result;
}

/** A fresh lower-case schema name, unique across parallel test files and runs. */
export function uniqueSchema(prefix = 'sbt'): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

export interface TestSchema {
  url: string;
  schema: string;
  /** Drops the schema and everything in it. Idempotent. */
  drop(): Promise<void>;
}

/** Reserves a schema name in the test database; migrations create it. Drop it in afterAll. */
export function createTestSchema(prefix?: string, url: string = TEST_DATABASE_URL): TestSchema {
  const schema = uniqueSchema(prefix);
  let dropped: Promise<void> | undefined;
  return {
    url,
    schema,
    drop() {
      dropped ??= (async () => {
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await client.end();
        }
      })();
      return dropped;
    },
  };
}

/** A Config built through the real parser from the given environment. */
export function testConfig(env: Record<string, string | undefined>): Config {
  return loadConfig({ LOG_LEVEL: 'silent', ...env } as NodeJS.ProcessEnv);
}

/** A logger that writes nothing (tests never assert on logs). */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent', pretty: false });
}

/**
 * A real embedded store in memory (PGlite, no data dir, no lock file), migrated, in `schema`.
 * For tests that need a Store but not the on-disk layout; close() discards it.
 */
export async function memoryStore(schema = 'public'): Promise<SqlStore> {
  const client = await PgliteSqlClient.open();
  const serverVersion = await checkServerVersion(client);
  await migrate(client, { schema });
  return new SqlStore(client, { schema, leadership: new SoleLeadership(), serverVersion });
}

/** A pg-pool client on the server database, as the SQL, RLS and migration suites take it. */
export function serverSqlHarness(url: string) {
  const db = new PgSqlClient({ url, log: silentLogger(), poolSize: 2 });
  return {
    db,
    async dropSchemas(schemas: readonly string[]) {
      for (const s of schemas) await db.exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    },
    close: () => db.close(),
  };
}
