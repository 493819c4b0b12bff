/**
 * The real Supabase CLI (npm `supabase`, 2.117.0) run from the repository's own supabase/
 * directory: `supabase db push --db-url` applies every migration of supabase/migrations (= sql/)
 * to a fresh database of its own, records them in supabase_migrations.schema_migrations, and
 * `signalbase migrate` afterwards adopts all of them and runs none again.
 *
 * The CLI sends usage telemetry to PostHog unless told not to; DO_NOT_TRACK and
 * SUPABASE_TELEMETRY_DISABLED keep this test's traffic on loopback (checked with strace: only
 * 127.0.0.1:5432 is connected to).
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';

const run = promisify(execFile);
const server = await serverPostgres();
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = `${ROOT}node_modules/.bin/supabase`;
const FILES = readdirSync(`${ROOT}sql`).filter((f) => /^\d{14}_[a-z0-9_]+\.sql$/.test(f)).sort();

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: server.url });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe.runIf(server.available)('supabase db push from the repository supabase/ directory', () => {
  const dbName = uniqueSchema('sbt_push');
  const url = new URL(server.url);
  url.pathname = `/${dbName}`;
  // The CLI's pgx asks for TLS first; the test server has none.
  url.searchParams.set('sslmode', 'disable');

  beforeAll(() => admin(`CREATE DATABASE "${dbName}"`));
  afterAll(() => admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));

  it('applies every sql/ migration, and signalbase migrate then adopts them all', async () => {
    const { stdout, stderr } = await run(CLI, ['db', 'push', '--db-url', url.href, '--yes'], {
      cwd: ROOT,
      env: { ...process.env, DO_NOT_TRACK: '1', SUPABASE_TELEMETRY_DISABLED: '1' },
      timeout: 120_000,
    });
    const out = `${stdout}\n${stderr}`;
    for (const f of FILES) expect(out).toContain(`Applying migration ${f}...`);
    expect(out).toContain('Finished supabase db push.');

    const db = new PgSqlClient({ url: url.href.replace('?sslmode=disable', ''), log: silentLogger(), poolSize: 1 });
    try {
      const { rows } = await db.query<{ version: string; name: string }>('SELECT version, name FROM supabase_migrations.schema_migrations ORDER BY version');
      expect(rows.map((r) => `${r.version}_${r.name}.sql`)).toEqual(FILES);
      const r = await migrate(db, { schema: 'public' });
      expect(r.applied).toEqual([]);
      expect(r.adopted).toEqual(FILES);
    } finally {
      await db.close();
    }
  }, 150_000);
});
