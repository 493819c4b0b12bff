/**
 * Opening the store the configuration asks for (DESIGN.md "Configuration"): DATABASE_URL → server
 * Postgres; else SUPABASE_URL + key → Supabase REST (SupabaseStore); else embedded PGlite under
 * SIGNALBASE_DATA_DIR/pg. Every adapter runs the same SQL functions (sql/*_store_rpc.sql): SqlStore
 * calls them over a connection, SupabaseStore through PostgREST.
 */
import type { Config } from '../config.ts';
import { StoreError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { PgLeadership, SoleLeadership, type Leadership } from './leadership.ts';
import { assertMigratable, checkServerVersion, migrate, migrationStatus } from './migrate.ts';
import { PgSqlClient } from './pg-client.ts';
import { PgliteWorkerClient } from './pglite-worker-client.ts';
import { makePrivate } from './private-dir.ts';
import type { SqlClient } from './sql-client.ts';
import { SqlStore } from './sql-store.ts';
import type { ArtifactStore, Store } from './store.ts';
import { SupabaseStorageArtifactStore } from './supabase/storage.ts';
import { openSupabaseStore } from './supabase/store.ts';

export { SqlStore } from './sql-store.ts';
export { SupabaseStore, openSupabaseStore } from './supabase/store.ts';
export { checkServerVersion, loadMigrations, migrate, migrationStatus, MIGRATIONS_DIR } from './migrate.ts';
export type { MigrateOptions, MigrateResult, MigrationStatus } from './migrate.ts';
export type { Store, StoreInfo, LeaderLease, CandleRangeQuery } from './store.ts';

export interface OpenStoreOptions {
  /** Apply pending migrations first (the daemon does; commands that only read do not need to). */
  migrate?: boolean;
  /** Without `migrate`, refuse a schema with pending migrations (default true). */
  requireCurrentSchema?: boolean;
  /** pg pool size (server Postgres). */
  poolSize?: number;
}

/** Just the SQL connection of the configured store, for `migrate` and `doctor`. */
export async function openSqlClient(config: Config, log: Logger, opts: { poolSize?: number } = {}): Promise<SqlClient> {
  const choice = config.store;
  switch (choice.kind) {
    case 'postgres':
      return new PgSqlClient({ url: choice.url, log: log.child({ module: 'store' }), poolSize: opts.poolSize });
    case 'embedded': {
      // The operator's alone: the data directory 0700, its files 0600 (store/private-dir.ts).
      // PGlite itself creates every file 0600 and directory 0700 (pglite-private-fs.ts); what an
      // earlier version or a looser hand left open is tightened here first.
      makePrivate(config.dataDir);
      // In a worker thread: the database's CPU stays off the thread that runs the signal path.
      return PgliteWorkerClient.open(choice.dir);
    }
    case 'supabase':
      throw new StoreError(
        'STORE_NO_SQL',
        `the Supabase REST store (${new URL(choice.url).host}) has no SQL connection: to apply sql/, run \`signalbase migrate\` with DATABASE_URL set to the project's database connection string, or \`supabase db push\``,
      );
  }
}

/**
 * The configured store. With Supabase configured (even beside DATABASE_URL), model artifacts go to
 * Supabase Storage instead of the ml_model_artifacts table (store/supabase/storage.ts): the adapter
 * is handed that ArtifactStore.
 */
export async function openStore(config: Config, log: Logger, opts: OpenStoreOptions = {}): Promise<Store> {
  const artifacts: ArtifactStore | undefined = config.supabase
    ? new SupabaseStorageArtifactStore({ ...config.supabase, log: log.child({ module: 'artifacts' }) })
    : undefined;
  if (config.store.kind === 'supabase') {
    // REST cannot run DDL: `migrate` here means "the schema must already be current".
    return openSupabaseStore({
      url: config.store.url,
      serviceRoleKey: config.store.serviceRoleKey,
      schema: config.schema,
      log: log.child({ module: 'store' }),
      artifacts,
    });
  }
  const client = await openSqlClient(config, log, { poolSize: opts.poolSize });
  try {
    const serverVersion = await checkServerVersion(client);
    const schema = config.schema;
    if (opts.migrate) {
      await migrate(client, { schema, log: log.child({ module: 'migrate' }) });
    } else if (opts.requireCurrentSchema ?? true) {
      const status = await migrationStatus(client, schema);
      assertMigratable(status, schema);
      if (status.pending.length > 0) {
        throw new StoreError(
          'SCHEMA_NOT_MIGRATED',
          `schema "${schema}" at ${client.location} has ${status.pending.length} pending migration(s); run signalbase migrate`,
          { context: { pending: status.pending } },
        );
      }
    }
    if (client instanceof PgSqlClient && client.target.port === 6543) {
      // Supabase's transaction pooler hands each transaction any server session: a session
      // advisory lock (leadership) would not stay with this instance.
      log.warn({ location: client.location }, 'DATABASE_URL looks like a transaction pooler (port 6543); leadership needs a direct or session-mode connection (port 5432)');
    }
    const leadership: Leadership =
      config.store.kind === 'postgres'
        ? new PgLeadership({ url: config.store.url, location: client.location, schema, log: log.child({ module: 'leader' }) })
        : new SoleLeadership();
    return new SqlStore(client, { schema, leadership, serverVersion, artifacts });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
