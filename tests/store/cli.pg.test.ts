/** `signalbase migrate` and `signalbase doctor` against server Postgres, in a fresh schema. */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMigrations } from '../../src/store/migrate.ts';
import { createTestSchema, serverPostgres } from '../helpers/pg.ts';
import { runCli } from './cli-run.ts';

const server = await serverPostgres();

describe.runIf(server.available)('signalbase migrate / doctor (server Postgres)', () => {
  const ts = createTestSchema('sbt_cli');
  const env = { DATABASE_URL: server.url, SIGNALBASE_SCHEMA: ts.schema };
  const total = loadMigrations().length;
  afterAll(() => ts.drop());

  it('migrate creates the whole schema on an empty database, then applies nothing and says so', async () => {
    const first = await runCli(['migrate'], env);
    expect(first.code).toBe(0);
    expect(first.stdout.match(/^applied /gm)).toHaveLength(total);
    const second = await runCli(['migrate'], env);
    expect(second.code).toBe(0);
    expect(second.stdout.trim()).toBe(`schema up to date (${total} migrations) in "${ts.schema}" at ${new URL(server.url).host}${new URL(server.url).pathname}`);
  });

  it('doctor passes, then fails on a schema newer than the code, and migrate refuses it', async () => {
    const ok = await runCli(['doctor', '--json'], env);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).checks.map((c: { name: string; ok: boolean }) => [c.name, c.ok])).toEqual([
      ['config', true],
      ['store', true],
      ['schema', true],
      ['tfjs', true],
      ['inference', true],
      ['feed', true],
      ['data-dir', true],
    ]);

    const client = new pg.Client({ connectionString: server.url });
    await client.connect();
    try {
      await client.query(`INSERT INTO "${ts.schema}".ml_schema_migrations (name, checksum) VALUES ('29991231000000_future.sql', 'x')`);
    } finally {
      await client.end();
    }
    const doctor = await runCli(['doctor'], env);
    expect(doctor.code).toBe(1);
    expect(doctor.stdout).toMatch(/^FAIL schema .*newer than this signalbase/m);
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr.trim().split('\n')).toHaveLength(1);
    expect(migrate.stderr).toContain('29991231000000_future.sql');
  });
});
