/**
 * The fake PostgREST (tests/helpers/fake-postgrest.ts) refuses what PostgREST refuses, so a store
 * that sent garbage would fail its tests: requests run as the bearer token's role (anon,
 * authenticated, service_role) with grants and RLS of the real migrated database behind the fake;
 * `in.(…)` lists are parsed with PostgREST's quoting; POST bodies need Content-Type
 * application/json; `Prefer` with handling=strict must hold only known preferences.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { parseInList, startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';

const SERVICE = 'service-key-for-honest-tests';
const ANON = 'anon-key-for-honest-tests';
const USER = 'user-jwt-for-honest-tests';
const SCHEMA = 'signalbase';

let db: PgliteSqlClient;
let rest: FakePostgrest;

beforeAll(async () => {
  db = await PgliteSqlClient.open();
  await migrate(db, { schema: SCHEMA });
  await db.exec(`INSERT INTO ${SCHEMA}.ml_training_samples (symbol, signal_type, entry_price) VALUES ('A,B', 'BUY', 1), ('C"D', 'SELL', 2), ('E', 'HOLD', 3)`);
  rest = await startFakePostgrest({ db, schema: SCHEMA, serviceRoleKey: SERVICE, keys: { [ANON]: 'anon', [USER]: 'authenticated' } });
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await db?.close();
});

const get = (path: string, token: string, apikey = ANON) =>
  fetch(`${rest.url}/rest/v1/${path}`, { headers: { apikey, authorization: `Bearer ${token}`, 'accept-profile': SCHEMA } });

describe('fake PostgREST: what PostgREST refuses', () => {
  it('runs each request as the bearer token\'s role: RLS and grants of the real database apply', async () => {
    const asService = await get('ml_training_samples?select=symbol', SERVICE, SERVICE);
    expect(asService.status).toBe(200);
    expect(((await asService.json()) as unknown[]).length).toBe(3);
    // Nobody but service_role reads training samples (sql/20261122000600_rls.sql): no grant → 42501,
    // 403 (a JWT was sent: PostgREST answers 401 only to a request without one).
    const asAnon = await get('ml_training_samples?select=symbol', ANON);
    expect(asAnon.status).toBe(403);
    expect(((await asAnon.json()) as { code: string }).code).toBe('42501');
    expect((await get('ml_training_samples?select=symbol', USER)).status).toBe(403);
    // Weights are readable by anon; signals only by a signed-in user.
    expect((await get('ml_indicator_weights?select=indicator_name&limit=1', ANON)).status).toBe(200);
    expect((await get('ml_predictions?select=id&limit=1', ANON)).status).toBe(403);
    expect((await get('ml_predictions?select=id&limit=1', USER)).status).toBe(200);
    // An unknown token is not a role.
    expect((await get('ml_indicator_weights?select=indicator_name', 'not-a-token')).status).toBe(401);
  });

  it('parses in.(…) with quotes: a comma or a quote inside a quoted element is part of it', async () => {
    expect(parseInList('(a,b)')).toEqual(['a', 'b']);
    expect(parseInList('("A,B",E)')).toEqual(['A,B', 'E']);
    expect(parseInList('("C\\"D")')).toEqual(['C"D']);
    expect(parseInList('("open')).toBeNull();
    const res = await get(`ml_training_samples?select=symbol&order=symbol&symbol=in.${encodeURIComponent('("A,B","C\\"D")')}`, SERVICE, SERVICE);
    expect(await res.json()).toEqual([{ symbol: 'A,B' }, { symbol: 'C"D' }]);
    const bad = await get(`ml_training_samples?symbol=in.${encodeURIComponent('("A,B')}`, SERVICE, SERVICE);
    expect(bad.status).toBe(400);
  });

  it('refuses a POST body that is not application/json (415) and strict Prefer with an unknown preference (400)', async () => {
    const post = (headers: Record<string, string>) =>
      fetch(`${rest.url}/rest/v1/rpc/sb_ping`, { method: 'POST', headers: { apikey: SERVICE, authorization: `Bearer ${SERVICE}`, 'content-profile': SCHEMA, ...headers }, body: '{}' });
    const asText = await post({ 'content-type': 'text/plain' });
    expect(asText.status).toBe(415);
    expect(((await asText.json()) as { code: string }).code).toBe('PGRST107');
    const strict = await post({ 'content-type': 'application/json', prefer: 'handling=strict, return=everything' });
    expect(strict.status).toBe(400);
    expect(((await strict.json()) as { code: string }).code).toBe('PGRST122');
    const lenient = await post({ 'content-type': 'application/json', prefer: 'return=everything' });
    expect(lenient.status).not.toBe(400);
  });
});
