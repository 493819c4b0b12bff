/**
 * SELF_SERVICE_MAX_RATE_LIMIT reaches the database: the daemon writes it to ml_settings at start
 * (syncAccessSettings), and create_ml_api_key, called as a signed-in user the way Supabase runs a
 * request (request.jwt.claims, SET LOCAL ROLE authenticated), refuses a key above it.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syncAccessSettings } from '../../src/daemon/access.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore, silentLogger, testConfig } from '../helpers/pg.ts';

let store: SqlStore;
beforeAll(async () => {
  store = await memoryStore();
}, 120_000);
afterAll(async () => {
  await store?.close();
});

async function createAsUser(limit: number): Promise<'ok' | string> {
  const user = randomUUID();
  await store.client.query('INSERT INTO auth.users (id, email) VALUES ($1, $2)', [user, `${user}@test`]);
  try {
    await store.client.transaction(async (tx) => {
      await tx.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify({ role: 'authenticated', sub: user })]);
      await tx.exec('SET LOCAL ROLE authenticated');
      await tx.query(`SELECT * FROM public.create_ml_api_key('mine', 'prediction', $1)`, [limit]);
    });
    return 'ok';
  } catch (err) {
    return String((err as { context?: { sqlState?: string } }).context?.sqlState ?? err);
  }
}

describe('the self-service cap', () => {
  it('is written by the daemon and enforced by create_ml_api_key', async () => {
    expect(await createAsUser(10_000)).toBe('ok'); // the migration's default
    expect(await syncAccessSettings(store, testConfig({ SELF_SERVICE_MAX_RATE_LIMIT: '50' }), silentLogger())).toBe(true);
    expect(await createAsUser(51)).toBe('22023');
    expect(await createAsUser(50)).toBe('ok');
  });
});
