/** The migration runner on server Postgres, including two runs racing on one empty schema. */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { createTestSchema, serverPostgres, serverSqlHarness, silentLogger } from '../helpers/pg.ts';
import { migrationSuite } from './migrate.suite.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres', () => {
  migrationSuite('postgres (pg pool)', async () => serverSqlHarness(server.url));

  it('two concurrent migrate runs on one empty schema apply every file exactly once', async () => {
    const ts = createTestSchema('sbt_race');
    const a = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 1 });
    const b = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 1 });
    try {
      const [ra, rb] = await Promise.all([migrate(a, { schema: ts.schema }), migrate(b, { schema: ts.schema })]);
      const names = loadMigrations().map((f) => f.name);
      // Between them, each file once; both end with the whole schema.
      expect([...ra.applied, ...rb.applied].sort()).toEqual(names);
      expect(ra.total).toBe(names.length);
      expect(rb.total).toBe(names.length);
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      try {
        const { rows } = await client.query(`SELECT name FROM "${ts.schema}".ml_schema_migrations ORDER BY name`);
        expect(rows.map((r) => r.name)).toEqual(names);
        const { rows: w } = await client.query(`SELECT count(*)::int AS n FROM "${ts.schema}".ml_indicator_weights`);
        expect(w[0].n).toBe(17);
      } finally {
        await client.end();
      }
    } finally {
      await Promise.all([a.close(), b.close()]);
      await ts.drop();
    }
  });
});
