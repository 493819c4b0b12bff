/**
 * The PostgREST fake runs a request as the role its JWT names, with that JWT's claims (as
 * PostgREST does with its jwt-secret), not as a fixed identity: over a migrated PGlite, users read
 * only their own retrain requests (RLS on requested_by = auth.uid(), issue 13 item 8), the service
 * role's JWT reads all, a JWT signed with another secret or expired is 401, and a made-up role is
 * refused. So a function or client that sent the wrong identity would be caught by its tests.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';

const SECRET = 'project-jwt-secret-for-these-tests-0123456789';
const ANON = 'anon-key';
const u1 = randomUUID();
const u2 = randomUUID();
let db: PgliteSqlClient;
let rest: FakePostgrest;

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
function jwt(claims: Record<string, unknown>, secret = SECRET): string {
  const data = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${data}.${createHmac('sha256', secret).update(data).digest('base64url')}`;
}
const inAnHour = () => Math.floor(Date.now() / 1000) + 3600;
const user = (sub: string) => jwt({ role: 'authenticated', aud: 'authenticated', sub, exp: inAnHour() });

async function read(token: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${rest.url}/rest/v1/ml_retrain_requests?select=reason,requested_by&order=reason.asc`, {
    headers: { apikey: ANON, Authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  db = await PgliteSqlClient.open();
  await migrate(db, { schema: 'public' });
  await db.exec(`INSERT INTO public.ml_retrain_requests (reason, requested_by) VALUES ('first user', '${u1}'), ('second user', '${u2}')`);
  rest = await startFakePostgrest({ db, schema: 'public', serviceRoleKey: 'service-role-key', keys: { [ANON]: 'anon' }, jwtSecret: SECRET });
}, 60_000);

afterAll(async () => {
  await rest?.close();
  await db?.close();
});

describe('the PostgREST fake runs as the JWT', () => {
  it("each user's JWT reads only that user's rows; the service role's reads all", async () => {
    expect(await read(user(u1))).toEqual({ status: 200, body: [{ reason: 'first user', requested_by: u1 }] });
    expect(await read(user(u2))).toEqual({ status: 200, body: [{ reason: 'second user', requested_by: u2 }] });
    const all = await read(jwt({ role: 'service_role', exp: inAnHour() }));
    expect(all).toEqual({ status: 200, body: [{ reason: 'first user', requested_by: u1 }, { reason: 'second user', requested_by: u2 }] });
  });

  it('another secret, an expired token and an unknown role are refused', async () => {
    const forged = await read(jwt({ role: 'service_role', exp: inAnHour() }, 'not-the-project-secret'));
    expect(forged).toMatchObject({ status: 401, body: { code: 'PGRST301' } });
    const expired = await read(jwt({ role: 'authenticated', sub: u1, exp: Math.floor(Date.now() / 1000) - 60 }));
    expect(expired).toMatchObject({ status: 401, body: { code: 'PGRST303' } });
    const superuser = await read(jwt({ role: 'postgres', exp: inAnHour() }));
    expect(superuser.status).toBe(401);
  });
});
