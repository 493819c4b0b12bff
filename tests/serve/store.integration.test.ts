/**
 * The API and the stream over the real embedded store (PGlite in memory, migrated), wired with
 * storePorts: hashed keys created, validated and revoked by validate_ml_api_key, the hourly limit
 * from the key's rate_limit_per_hour, retrain requests filed in the queue, and `since` resume
 * paging through the store's readPredictions in its own order.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Registry } from 'prom-client';
import { createApiServer, type ApiServer } from '../../src/serve/api-server.ts';
import { storePorts } from '../../src/serve/store-ports.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore } from '../helpers/pg.ts';
import { connect, mixed, silentLogger, signals } from './helpers.ts';

let store: SqlStore;
let api: ApiServer;
let base: string;

beforeAll(async () => {
  store = await memoryStore();
  api = createApiServer({
    ...storePorts(store),
    predict: async () => {
      throw new Error('not used');
    },
    indicators: () => null,
    readiness: () => ({ ready: true, reasons: [] }),
    registry: new Registry(),
    logger: silentLogger(),
    options: { keyCacheValidTtlMs: 0, keyCacheInvalidTtlMs: 0, stream: { ringSize: 4, catchUpPageSize: 3 } },
  });
  base = `http://127.0.0.1:${await api.start(0, '127.0.0.1')}`;
});

afterAll(async () => {
  await api?.stop();
  await store?.close();
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });

describe('serve over the embedded store', () => {
  it('checks keys with validate_ml_api_key: valid, limited per hour, revoked', async () => {
    const k = await store.createApiKey({ name: 'dash', type: 'stream', rateLimitPerHour: 2 });
    const first = await fetch(`${base}/v1/dashboard`, { headers: auth(k.key) });
    expect(first.status).toBe(200);
    expect(typeof (await first.json())).toBe('object');
    expect((await fetch(`${base}/v1/dashboard`, { headers: auth(k.key) })).status).toBe(200);
    const limited = await fetch(`${base}/v1/dashboard`, { headers: auth(k.key) });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    const other = await store.createApiKey({ name: 'other', type: 'admin' });
    expect((await fetch(`${base}/v1/dashboard`, { headers: auth(other.key) })).status).toBe(200);
    expect(await store.revokeApiKey(other.id)).toBe(true);
    expect((await fetch(`${base}/v1/dashboard`, { headers: auth(other.key) })).status).toBe(401);
  });

  it('files a retrain request in the store queue (source api)', async () => {
    const admin = await store.createApiKey({ name: 'ops', type: 'admin' });
    const r = await fetch(`${base}/v1/retrain`, { method: 'POST', headers: auth(admin.key), body: JSON.stringify({ force: true, reason: 'drifted' }) });
    expect(r.status).toBe(202);
    const { request_id } = (await r.json()) as { request_id: string };
    expect(await store.getRetrain(request_id)).toMatchObject({ source: 'api', force: true, reason: 'drifted', status: 'PENDING' });
  });

  it('resumes since an id through the store pages and the ring, exactly once each', async () => {
    const k = await store.createApiKey({ name: 'watch', type: 'stream' });
    const all = mixed(50, 64); // 30 signals, two symbols per candle time
    await store.insertPredictions(all.slice(0, 24));
    api.hub.publishSignals(signals(all.slice(0, 28))); // the ring (4) holds 24..27, not yet stored
    const c = await connect(`${base.replace('http', 'ws')}/v1/stream?key=${k.key}`);
    c.send({ type: 'subscribe', symbols: ['*'], since: all[5]!.id });
    await vi.waitFor(() => expect(api.hub.clients().find((x) => x.keyName === 'watch')?.state).toBe('live'));
    api.hub.publishSignals(signals(all.slice(28)));
    await vi.waitFor(() => expect(c.signalIds()).toHaveLength(24));
    expect(c.signalIds()).toEqual(all.slice(6).map((r) => r.id));
    c.ws.close();
  });
});
