/** The Store contract on the Supabase REST store: supabase-js → fake PostgREST → embedded PGlite. */
import { describe, expect, it } from 'vitest';
import { storeContract } from './contract.ts';
import { contractTarget, pgliteTarget, type SupabaseTarget } from './supabase-target.ts';

let target: SupabaseTarget | undefined;

storeContract('supabase REST (fake PostgREST → PGlite)', async () => {
  target = await pgliteTarget();
  return contractTarget(target);
});

describe('what the contract run went through', () => {
  it('every store call was HTTP (RPC or GET), and artifacts went to Storage, not the table', async () => {
    const t = target!;
    const rpcs = new Set(t.rest.requests.filter((r) => r.path.startsWith('/rest/v1/rpc/')).map((r) => r.path.slice('/rest/v1/rpc/'.length)));
    for (const fn of ['sb_upsert_candles', 'sb_insert_predictions', 'sb_resolve_predictions', 'sb_read_predictions', 'sb_activate_model', 'sb_claim_retrain', 'sb_try_lease']) {
      expect(rpcs).toContain(fn);
    }
    expect(t.rest.requests.some((r) => r.method === 'GET' && r.path.startsWith('/rest/v1/ml_candles?'))).toBe(true);
    expect([...t.storage.objects.keys()].filter((k) => k.startsWith('ml-models/v-contract-art/')).sort()).toEqual([
      'ml-models/v-contract-art/manifest.json',
      'ml-models/v-contract-art/model.json',
      'ml-models/v-contract-art/weights.bin',
    ]);
  });
});
