/** `signalbase migrate` writes SELF_SERVICE_MAX_RATE_LIMIT to ml_settings, where create_ml_api_key reads it. */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestSchema, serverPostgres } from '../helpers/pg.ts';
import { runCli } from '../store/cli-run.ts';

const server = await serverPostgres();

describe.runIf(server.available)('signalbase migrate and the self-service cap', () => {
  const schema = createTestSchema('sbt_cap');
  afterAll(() => schema.drop());

  it('writes the configured cap to ml_settings', async () => {
    const r = await runCli(['migrate'], { DATABASE_URL: schema.url, SIGNALBASE_SCHEMA: schema.schema, SELF_SERVICE_MAX_RATE_LIMIT: '123' });
    expect(r.code, r.stderr).toBe(0);
    const c = new pg.Client({ connectionString: schema.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ value: number }>(`SELECT value FROM "${schema.schema}".ml_settings WHERE name = 'self_service_max_rate_limit'`);
      expect(rows).toEqual([{ value: 123 }]);
    } finally {
      await c.end();
    }
  }, 120_000);
});
