/**
 * The Supabase transport against a fake Realtime fed by server Postgres: rows written through the
 * Postgres store in a schema of its own (as SIGNALBASE_SCHEMA puts them), captured by a trigger,
 * delivered as postgres_changes on that schema. Cases: supabase-cases.ts.
 */
import { describe } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig } from '../helpers/pg.ts';
import { supabaseTransportCases } from './supabase-cases.ts';

const pg = await serverPostgres();

describe.runIf(pg.available)('on server Postgres', () => {
  supabaseTransportCases('server Postgres', async () => {
    const ts = createTestSchema('sbrt');
    const store = (await openStore(testConfig({ DATABASE_URL: pg.url, SIGNALBASE_SCHEMA: ts.schema }), silentLogger(), { migrate: true })) as SqlStore;
    return {
      store,
      schema: ts.schema,
      close: async () => {
        await store.close();
        await ts.drop();
      },
    };
  });
});
