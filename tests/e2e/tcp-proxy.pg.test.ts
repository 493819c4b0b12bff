/**
 * The TCP proxy the outage test relies on (tests/helpers/tcp-proxy.ts), against the real Postgres:
 * it forwards, cut() kills open connections, 'refuse' fails new ones at once, 'blackhole' leaves
 * them hanging until the client's own timeout, heal() forwards again.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serverPostgres, TEST_DATABASE_URL } from '../helpers/pg.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { viaPort } from './helpers.ts';

const server = await serverPostgres();

describe.runIf(server.available)('TcpProxy in front of Postgres', () => {
  let proxy: TcpProxy;
  let url: string;
  const clients: pg.Client[] = [];

  beforeAll(async () => {
    const target = new URL(TEST_DATABASE_URL);
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    url = viaPort(TEST_DATABASE_URL, proxy.port);
  });

  afterAll(async () => {
    for (const c of clients) await c.end().catch(() => undefined);
    await proxy.close();
  });

  async function client(timeoutMs = 3_000): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
    c.on('error', () => undefined); // a reset connection reports here too
    clients.push(c);
    await c.connect();
    return c;
  }

  it('forwards, cuts, refuses, blackholes and heals', async () => {
    const a = await client();
    expect((await a.query<{ n: number }>('SELECT 41 + 1 AS n')).rows[0]!.n).toBe(42);
    expect(proxy.state).toBe('up');
    expect(proxy.open).toBe(1);
    expect(proxy.forwarded).toBe(1);

    proxy.cut('refuse');
    expect(proxy.open).toBe(0);
    await expect(a.query('SELECT 1')).rejects.toThrow();
    await expect(client()).rejects.toThrow();
    expect(proxy.rejected).toBe(1);

    proxy.cut('blackhole');
    expect(proxy.state).toBe('blackhole');
    await expect(client(300)).rejects.toThrow(/timeout/i);
    expect(proxy.rejected).toBe(2);

    proxy.heal();
    const b = await client();
    expect((await b.query<{ n: number }>('SELECT 2 * 21 AS n')).rows[0]!.n).toBe(42);
    expect(proxy.forwarded).toBe(2);
  });
});
