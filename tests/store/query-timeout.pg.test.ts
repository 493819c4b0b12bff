/**
 * A store connection that goes silent (packets dropped, no reset) fails the query in bounded time
 * with a retryable StoreError, so the outbox retries and reports the outage instead of hanging on
 * TCP retransmission for minutes; after the route heals the same client works again.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, TEST_DATABASE_URL } from '../helpers/pg.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';

const server = await serverPostgres();

describe.runIf(server.available)('server Postgres behind a route that goes silent', () => {
  let proxy: TcpProxy | undefined;
  afterAll(() => proxy?.close());

  it('times a silent query out as a retryable error, then recovers', async () => {
    const target = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const url = new URL(TEST_DATABASE_URL);
    url.port = String(proxy.port);
    const db = new PgSqlClient({ url: url.toString(), log: silentLogger(), poolSize: 1, queryTimeoutMs: 800, connectTimeoutMs: 800 });
    try {
      expect((await db.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
      proxy.stall();
      const err = await db.query('SELECT 2').then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect((err as StoreError).retryable).toBe(true);
      expect((err as StoreError).code).toBe('STORE_UNREACHABLE');
      proxy.heal();
      await expect.poll(async () => (await db.query<{ n: number }>('SELECT 3 AS n').catch(() => ({ rows: [{ n: 0 }] }))).rows[0]!.n, { timeout: 10_000 }).toBe(3);
    } finally {
      await db.close();
    }
  });
});
