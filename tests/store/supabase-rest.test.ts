/**
 * What the REST store adds to the contract: PostgREST error mapping, retries, batching and paging
 * under max-rows, lease leadership, the schema check at open, and the grants of the sb_* functions.
 * supabase-js → fake PostgREST (tests/helpers/fake-postgrest.ts) → in-memory PGlite.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { classifyPostgrest } from '../../src/store/supabase/errors.ts';
import { openSupabaseStore, type SupabaseStore, type SupabaseStoreOptions } from '../../src/store/supabase/store.ts';
import { silentLogger } from '../helpers/pg.ts';
import { runCli } from './cli-run.ts';
import { prediction, sampleCandles } from './fixtures.ts';
import { pgliteTarget, type SupabaseTarget } from './supabase-target.ts';

const MIN5 = 300_000;

async function caught(p: Promise<unknown>): Promise<StoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  return err as StoreError;
}

function opener(t: SupabaseTarget, over: Partial<SupabaseStoreOptions> = {}) {
  return openSupabaseStore({
    url: t.rest.url,
    serviceRoleKey: t.key,
    schema: t.schema,
    log: silentLogger(),
    retry: { attempts: 4, baseMs: 5, maxMs: 20 },
    ...over,
  });
}

const calls = (t: SupabaseTarget, re: RegExp) => t.rest.requests.filter((r) => re.test(r.path));

describe('PostgREST error mapping (documented status and SQLSTATE → StoreError)', () => {
  // [HTTP status, code] → [StoreError code, retryable]
  const table: [number, string, string, boolean][] = [
    [0, '', 'STORE_UNREACHABLE', true], // no answer (refused, reset, timed out)
    [503, 'PGRST000', 'STORE_UNAVAILABLE', true], // PostgREST cannot connect to the database
    [503, 'PGRST002', 'STORE_UNAVAILABLE', true], // schema cache not loaded yet
    [504, 'PGRST003', 'STORE_UNAVAILABLE', true], // no pool connection in time
    [503, '08006', 'STORE_UNAVAILABLE', true],
    [503, '53300', 'STORE_UNAVAILABLE', true], // too many connections
    [500, '40001', 'STORE_CONFLICT', true], // serialization failure
    [500, '40P01', 'STORE_CONFLICT', true], // deadlock
    [500, '57P01', 'STORE_UNAVAILABLE', true], // admin shutdown
    [500, '57014', 'STORE_UNAVAILABLE', true], // statement timeout
    [429, '', 'STORE_RATE_LIMITED', true],
    [502, '', 'STORE_UNAVAILABLE', true],
    [409, '23505', 'STORE_CONSTRAINT', false],
    [409, '23503', 'STORE_CONSTRAINT', false],
    [400, '23514', 'STORE_CONSTRAINT', false],
    [400, '23502', 'STORE_CONSTRAINT', false],
    [404, 'PT404', 'STORE_NOT_FOUND', false],
    [400, '22023', 'STORE_INVALID', false],
    [400, '42703', 'STORE_QUERY_FAILED', false], // undefined column
    [400, '42601', 'STORE_QUERY_FAILED', false], // syntax error
    [404, '42883', 'SCHEMA_NOT_MIGRATED', false],
    [404, 'PGRST202', 'SCHEMA_NOT_MIGRATED', false],
    [404, 'PGRST205', 'SCHEMA_NOT_MIGRATED', false],
    [403, '42501', 'STORE_AUTH_FAILED', false],
    [401, 'PGRST301', 'STORE_AUTH_FAILED', false],
    [401, '', 'STORE_AUTH_FAILED', false], // the gateway's "Invalid API key"
    [400, 'PGRST102', 'STORE_QUERY_FAILED', false],
    [406, 'PGRST106', 'STORE_QUERY_FAILED', false],
    [500, 'XX000', 'STORE_QUERY_FAILED', false],
    [500, 'P0001', 'STORE_QUERY_FAILED', false],
  ];
  it.each(table)('HTTP %i %s → %s (retryable %s)', (status, pgCode, code, retryable) => {
    expect(classifyPostgrest(status, pgCode)).toMatchObject({ code, retryable });
  });
});

describe('Supabase REST store over the fake PostgREST', () => {
  let t: SupabaseTarget;
  let store: SupabaseStore;

  beforeAll(async () => {
    // max-rows 50 so reads must page (Supabase's default is 1000).
    t = await pgliteTarget('signalbase', 50);
    store = await opener(t, { maxRowsPerCall: 40, maxRowsPerRead: 50 });
  });
  afterAll(async () => {
    await store?.close();
    await t?.close();
  });

  it('names the project host, never the key, and goes through REST only', async () => {
    expect(store.info).toMatchObject({ kind: 'supabase', location: new URL(t.rest.url).host, schema: 'signalbase', supportsLeadership: true });
    expect(store.info.serverVersion).toMatch(/^\d+/);
    expect(JSON.stringify(store.info)).not.toContain(t.key);
    const before = t.rest.requests.length;
    await store.ping();
    expect(t.rest.requests.slice(before)).toEqual([{ method: 'POST', path: '/rest/v1/rpc/sb_ping', status: 200 }]);
  });

  it('keeps PostgREST codes on the error: a duplicate model is a 409 23505 constraint, a missing one PT404', async () => {
    await store.createModel({ version: 'v-dup' });
    const dup = await caught(store.createModel({ version: 'v-dup' }));
    expect(dup).toMatchObject({ code: 'STORE_CONSTRAINT', retryable: false });
    expect(dup.context).toMatchObject({ status: 409, sqlState: '23505' });
    const missing = await caught(store.activateModel('v-nowhere'));
    expect(missing).toMatchObject({ code: 'STORE_NOT_FOUND' });
    expect(missing.context).toMatchObject({ status: 404, sqlState: 'PT404' });
    expect(calls(t, /sb_create_model/).filter((r) => r.status === 409)).toHaveLength(1); // not retried
  });

  it('keeps artifacts in the table through sb_put_artifacts / sb_get_artifacts (base64 over JSON) when asked directly', async () => {
    await store.createModel({ version: 'v-rest-art' });
    const bytes = new Uint8Array(3000).map((_, i) => (i * 131) % 256);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const row = { modelVersion: 'v-rest-art', name: 'weights.bin', contentType: 'application/octet-stream', bytes, sha256: sha };
    await store.putArtifacts([row]);
    await store.putArtifacts([row]);
    const back = await store.getArtifacts('v-rest-art');
    expect(back).toHaveLength(1);
    expect(Buffer.from(back[0]!.bytes).equals(Buffer.from(bytes))).toBe(true);
    const bad = await caught(store.putArtifacts([{ ...row, name: 'bad.bin', sha256: '0'.repeat(64) }]));
    expect(bad).toMatchObject({ code: 'STORE_CONSTRAINT' });
    expect(bad.context).toMatchObject({ sqlState: '23514' });
  });

  it('cuts a batch into calls of maxRowsPerCall rows and reads back past max-rows by paging', async () => {
    const candles = sampleCandles('LTC_BTC-5m', 300);
    const before = calls(t, /rpc\/sb_upsert_candles/).length;
    expect(await store.upsertCandles(candles)).toBe(300);
    expect(calls(t, /rpc\/sb_upsert_candles/).length - before).toBe(Math.ceil(300 / 40));
    expect(await store.upsertCandles(candles)).toBe(0);

    // The fake truncates at max-rows like PostgREST: one GET can never see more than 50 rows.
    const raw = await fetch(`${t.rest.url}/rest/v1/ml_candles?select=symbol&limit=1000`, {
      headers: { apikey: t.key, authorization: `Bearer ${t.key}`, 'accept-profile': t.schema },
    });
    expect(((await raw.json()) as unknown[]).length).toBe(50);

    expect(await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m' })).toEqual(candles);
    expect(await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', latest: true, limit: 120 })).toEqual(candles.slice(-120));
    const from = candles[10]!.openTime;
    const to = candles[139]!.openTime;
    expect(await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', from, to })).toEqual(candles.slice(10, 140));

    const preds = candles.slice(0, 130).map((c) => prediction({ symbol: 'PAGE/BTC', candleTime: c.openTime }));
    expect(await store.insertPredictions(preds)).toBe(130);
    const back = await store.readPredictions({ symbols: ['PAGE/BTC'], limit: 500 });
    expect(back.map((p) => p.id)).toEqual(preds.map((p) => p.id));
    const open = (await store.openPredictions()).filter((p) => p.symbol === 'PAGE/BTC');
    expect(open).toHaveLength(130);
    const outcomes = preds.map((p) => ({ predictionId: p.id, outcome: 'EXPIRED' as const, exitPrice: 0.017, profitLossPct: 0.1, outcomeTime: p.candleTime + MIN5 }));
    expect(await store.resolvePredictions(outcomes)).toBe(130);
    expect(await store.resolvePredictions(outcomes)).toBe(0);
  });

  it('one natural key twice in a batch split across calls is stored once, last occurrence winning', async () => {
    const base = sampleCandles('DASH_BTC-5m', 45);
    const corrected = { ...base[0]!, volume: base[0]!.volume * 2 + 1 };
    // 46 rows with the first key again at the end: 40 + 6 per call, deduplicated before cutting.
    expect(await store.upsertCandles([...base, corrected])).toBe(45);
    const [first] = await store.readCandles({ symbol: 'DASH/BTC', timeframe: '5m', limit: 1 });
    expect(first).toEqual(corrected);
  });

  it('retries a 503 (PGRST001) and then succeeds; an error answer rolled back, so nothing is doubled', async () => {
    t.rest.failNext(/rpc\/sb_enqueue_retrain$/, 2, { status: 503, body: { code: 'PGRST001', message: 'Database client error. Retrying the connection.', details: null, hint: null } });
    const before = calls(t, /rpc\/sb_enqueue_retrain$/).length;
    const r = await store.enqueueRetrain({ source: 'cli', reason: 'retry-503' });
    expect(r.status).toBe('PENDING');
    expect(calls(t, /rpc\/sb_enqueue_retrain$/).slice(before).map((x) => x.status)).toEqual([503, 503, 200]);
    expect((await store.listRetrains(10)).filter((x) => x.reason === 'retry-503')).toHaveLength(1);
  });

  it('retries 429 and 40001 answers too, and gives up after the last attempt with a retryable error', async () => {
    t.rest.failNext(/rpc\/sb_ping$/, 1, { status: 429, body: { message: 'Too many requests' } });
    t.rest.failNext(/rpc\/sb_ping$/, 1, { status: 500, body: { code: '40001', message: 'could not serialize access', details: null, hint: null } });
    await store.ping();
    t.rest.failNext(/rpc\/sb_ping$/, 4, { status: 503, body: { code: 'PGRST000', message: 'Could not connect', details: null, hint: null } });
    const before = calls(t, /rpc\/sb_ping$/).length;
    const err = await caught(store.ping());
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(err.context).toMatchObject({ pgrstCode: 'PGRST000', status: 503 });
    expect(calls(t, /rpc\/sb_ping$/).length - before).toBe(4);
  });

  it('after a gateway 502 (the call may have run) retries idempotent calls only', async () => {
    const gateway = { status: 502, body: '<html>Bad Gateway</html>' };
    t.rest.failNext(/rpc\/sb_upsert_candles$/, 1, gateway);
    const c = sampleCandles('XLM_BTC-5m', 3);
    expect(await store.upsertCandles(c)).toBe(3);

    t.rest.failNext(/rpc\/sb_enqueue_retrain$/, 1, gateway);
    const before = calls(t, /rpc\/sb_enqueue_retrain$/).length;
    const err = await caught(store.enqueueRetrain({ source: 'cli', reason: 'ambiguous' }));
    expect(err).toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
    expect(calls(t, /rpc\/sb_enqueue_retrain$/).length - before).toBe(1);
  });

  it('a wrong service-role key is refused, fatal, not retried, and the key is not in the message', async () => {
    const bad = `wrong-key-${randomUUID()}`;
    const before = t.rest.requests.length;
    const err = await caught(opener(t, { serviceRoleKey: bad }));
    expect(err).toMatchObject({ code: 'STORE_AUTH_FAILED', retryable: false });
    expect(err.message).not.toContain(bad);
    expect(t.rest.requests.length - before).toBe(1);
  });

  it('refuses a schema behind sql/ at open, naming the pending file and what to run', async () => {
    const { rows } = await t.db.query<{ name: string }>(`SELECT max(name) AS name FROM signalbase.ml_schema_migrations`);
    const last = rows[0]!.name;
    const { rows: saved } = await t.db.query<{ checksum: string }>(`DELETE FROM signalbase.ml_schema_migrations WHERE name = $1 RETURNING checksum`, [last]);
    try {
      const err = await caught(opener(t));
      expect(err.code).toBe('SCHEMA_NOT_MIGRATED');
      expect(err.message).toContain(last);
      expect(err.message).toMatch(/signalbase migrate.*database URL.*supabase db push/);
    } finally {
      await t.db.query(`INSERT INTO signalbase.ml_schema_migrations (name, checksum) VALUES ($1, $2)`, [last, saved[0]!.checksum]);
    }
  });

  it('refuses a database that never had sql/ applied (no ml_schema_migrations: PGRST205)', async () => {
    const empty = await pgliteTarget('empty_schema');
    try {
      await empty.db.exec('DROP SCHEMA empty_schema CASCADE; CREATE SCHEMA empty_schema; GRANT USAGE ON SCHEMA empty_schema TO service_role');
      const err = await caught(opener(empty));
      expect(err).toMatchObject({ code: 'SCHEMA_NOT_MIGRATED', retryable: false });
      expect(err.message).toMatch(/supabase db push/);
    } finally {
      await empty.close();
    }
  });

  it('only service_role may execute the sb_* functions or touch the lease table', async () => {
    for (const role of ['anon', 'authenticated']) {
      const err = await t.db
        .transaction(async (tx) => {
          await tx.exec(`SET LOCAL ROLE ${role}`);
          await tx.query(`SELECT signalbase.sb_claim_retrain('intruder')`);
        })
        .catch((e: unknown) => e);
      expect((err as StoreError).context.sqlState).toBe('42501');
      const lease = await t.db
        .transaction(async (tx) => {
          await tx.exec(`SET LOCAL ROLE ${role}`);
          await tx.query(`SELECT * FROM signalbase.ml_leader_leases`);
        })
        .catch((e: unknown) => e);
      expect((lease as StoreError).context.sqlState).toBe('42501');
    }
  });
});

describe('lease leadership over REST', () => {
  let t: SupabaseTarget;
  const TTL = 900;

  beforeAll(async () => {
    t = await pgliteTarget('leases');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('one of two instances leads, keeps leading past the TTL by renewing, and hands over on release', async () => {
    const a = await opener(t, { leaseTtlMs: TTL });
    const b = await opener(t, { leaseTtlMs: TTL });
    try {
      const la = await a.tryAcquireLeadership('retrain');
      expect(la).not.toBeNull();
      expect(await b.tryAcquireLeadership('retrain')).toBeNull();
      expect(await a.tryAcquireLeadership('retrain')).toBeNull(); // one lease per name per instance
      await new Promise((r) => setTimeout(r, TTL * 2.5));
      expect(await b.tryAcquireLeadership('retrain')).toBeNull(); // renewed, still a's
      await la!.release();
      await la!.lost;
      const lb = await b.tryAcquireLeadership('retrain');
      expect(lb).not.toBeNull();
      await lb!.release();
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('takes over from a holder that died once its lease expires, and the old holder learns it lost', async () => {
    const b = await opener(t, { leaseTtlMs: TTL });
    try {
      // A crashed instance: its lease row stays until it expires.
      await t.db.query(`INSERT INTO leases.ml_leader_leases (name, holder, expires_at) VALUES ('drift', 'dead-host:1', clock_timestamp() + interval '600 milliseconds')`);
      expect(await b.tryAcquireLeadership('drift')).toBeNull();
      await new Promise((r) => setTimeout(r, 700));
      const lb = await b.tryAcquireLeadership('drift');
      expect(lb).not.toBeNull();
      const { rows } = await t.db.query<{ holder: string }>(`SELECT holder FROM leases.ml_leader_leases WHERE name = 'drift'`);
      expect(rows[0]!.holder).not.toBe('dead-host:1');

      // Someone else now holds it (as after a long pause of b): b's next renewal is refused.
      await t.db.query(`UPDATE leases.ml_leader_leases SET holder = 'usurper', expires_at = clock_timestamp() + interval '1 minute' WHERE name = 'drift'`);
      const lost = await Promise.race([lb!.lost.then(() => 'lost'), new Promise((r) => setTimeout(() => r('still leading'), TTL * 2))]);
      expect(lost).toBe('lost');
      await lb!.release();
      const { rows: after } = await t.db.query<{ holder: string }>(`SELECT holder FROM leases.ml_leader_leases WHERE name = 'drift'`);
      expect(after[0]!.holder).toBe('usurper'); // releasing a lost lease does not delete another's
    } finally {
      await b.close();
    }
  });
});

it('openStore with SUPABASE_URL + key (no DATABASE_URL) opens the REST store', async () => {
  const t = await pgliteTarget('via_config');
  try {
    const store = await t.open();
    expect(store.info.kind).toBe('supabase');
    await store.upsertCandles(sampleCandles('LTC_BTC-5m', 2));
    expect(calls(t, /rpc\/sb_upsert_candles/)).toHaveLength(1);
    await store.close();
  } finally {
    await t.close();
  }
});

it('`signalbase doctor` names the Supabase REST store and checks its schema through REST', async () => {
  const t = await pgliteTarget('doctor');
  try {
    const env = { SUPABASE_URL: t.rest.url, SUPABASE_SERVICE_ROLE_KEY: t.key, SIGNALBASE_SCHEMA: 'doctor' };
    const r = await runCli(['doctor', '--json'], env);
    const checks = (JSON.parse(r.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks;
    const by = (n: string) => checks.find((c) => c.name === n)!;
    expect(by('config').detail).toContain(`store=supabase REST ${new URL(t.rest.url).host}`);
    expect(by('store')).toMatchObject({ ok: true });
    expect(by('store').detail).toMatch(/^supabase REST 127\.0\.0\.1:\d+ reachable, PostgreSQL \d+/);
    expect(by('schema')).toMatchObject({ ok: true });
    expect(r.stdout).not.toContain(t.key);

    await t.db.exec(`DELETE FROM doctor.ml_schema_migrations WHERE name = (SELECT max(name) FROM doctor.ml_schema_migrations)`);
    const behind = await runCli(['doctor', '--json'], env);
    const schema = (JSON.parse(behind.stdout) as { checks: { name: string; ok: boolean; detail: string }[] }).checks.find((c) => c.name === 'schema')!;
    expect(schema.ok).toBe(false);
    expect(schema.detail).toMatch(/pending migration.*supabase db push/);
    expect(behind.code).toBe(1);
  } finally {
    await t.close();
  }
}, 120_000);

it('an unreachable project is a retryable STORE_UNREACHABLE naming the host, after the retries', async () => {
  const err = await caught(
    openSupabaseStore({ url: 'http://127.0.0.1:9', serviceRoleKey: 'k'.repeat(40), schema: 'public', log: silentLogger(), retry: { attempts: 2, baseMs: 5, maxMs: 10 } }),
  );
  expect(err).toMatchObject({ code: 'STORE_UNREACHABLE', retryable: true });
  expect(err.message).toContain('127.0.0.1:9');
  expect(err.message).not.toContain('k'.repeat(40));
});
