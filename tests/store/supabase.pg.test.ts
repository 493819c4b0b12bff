/**
 * Server Postgres: the Store contract on the Supabase REST store (supabase-js → fake PostgREST →
 * server Postgres), and model artifacts in Supabase Storage while the rows go to DATABASE_URL.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startFakeStorage } from '../helpers/fake-storage.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig } from '../helpers/pg.ts';
import { storeContract } from './contract.ts';
import { contractTarget, serverTarget, serviceRoleKey } from './supabase-target.ts';

const pg = await serverPostgres();

describe.runIf(pg.available)('server Postgres', () => {
  storeContract('supabase REST (fake PostgREST → server Postgres)', async () => contractTarget(await serverTarget(pg.url)));

  it('with DATABASE_URL and Supabase both set: rows in Postgres, model artifacts in Storage', async () => {
    const ts = createTestSchema('sbt_art');
    const key = serviceRoleKey();
    const storage = await startFakeStorage(key);
    const store = (await openStore(testConfig({ DATABASE_URL: ts.url, SIGNALBASE_SCHEMA: ts.schema, SUPABASE_URL: storage.url, SUPABASE_SERVICE_ROLE_KEY: key }), silentLogger(), {
      migrate: true,
    })) as SqlStore;
    try {
      expect(store.info.kind).toBe('postgres');
      await store.createModel({ version: 'v-both' });
      const bytes = new Uint8Array([5, 4, 3, 2, 1]);
      const row = { modelVersion: 'v-both', name: 'weights.bin', contentType: 'application/octet-stream', bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
      await store.putArtifacts([row]);
      expect(storage.objects.get('ml-models/v-both/weights.bin')!.bytes.equals(Buffer.from(bytes))).toBe(true);
      const { rows } = await store.client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${ts.schema}".ml_model_artifacts`);
      expect(rows[0]!.n).toBe(0);
      expect((await store.getArtifacts('v-both'))[0]!.sha256).toBe(row.sha256);
    } finally {
      await store.close();
      await storage.close();
      await ts.drop();
    }
  });
});
