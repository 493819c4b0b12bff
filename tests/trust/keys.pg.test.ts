/**
 * Issue 13 items 5, 6 and 7 over real sockets and a real Postgres schema: API servers wired as the
 * daemon wires them (storePorts + accessOptions), sharing one store as two daemon instances do.
 *  5. a key limited to 3 an hour gets 3 in all: not 3 more on a second instance, nor after a restart;
 *  6. malformed keys never reach the store; 20 refused keys from one address → 429 + Retry-After,
 *     counted in api_key_failures_total;
 *  7. sockets per key capped (429 at the upgrade), untracked symbols bounded with an error frame,
 *     a socket that never finishes its upgrade request closed at the header timeout, and the
 *     Origin allow-list.
 */
import { connect as tcpConnect } from 'node:net';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { loadConfig } from '../../src/config.ts';
import { accessOptions } from '../../src/daemon/access.ts';
import { createApiServer, type ApiServer } from '../../src/serve/api-server.ts';
import { storePorts } from '../../src/serve/store-ports.ts';
import type { ApiOptions } from '../../src/serve/types.ts';
import type { Store } from '../../src/store/store.ts';
import { pgStore } from '../e2e/helpers.ts';
import { createTestSchema, serverPostgres, silentLogger, type TestSchema } from '../helpers/pg.ts';

const pgServer = await serverPostgres();

describe.runIf(pgServer.available)('keys and stream bounds against a real store', () => {
  let schema: TestSchema;
  let store: Store;
  let validations = 0;
  const servers: ApiServer[] = [];

  /** One "daemon instance": its own server, key cache, limiter and throttle, the shared store. */
  async function instance(env: Record<string, string> = {}, over: Partial<ApiOptions> = {}): Promise<{ base: string; port: number; registry: Registry }> {
    const ports = storePorts(store);
    const registry = new Registry();
    const api = createApiServer({
      ...ports,
      keys: {
        validate: (k) => {
          validations += 1;
          return ports.keys.validate(k);
        },
      },
      predict: async () => {
        throw new Error('not used');
      },
      indicators: () => null,
      readiness: () => ({ ready: true, reasons: [] }),
      knownSymbols: () => ['LTC/BTC', 'XLM/BTC'],
      registry,
      logger: silentLogger(),
      options: accessOptions(loadConfig({ LOG_LEVEL: 'silent', ...env }), { keyCacheValidTtlMs: 0, keyCacheInvalidTtlMs: 0, ...over }),
    });
    servers.push(api);
    const port = await api.start(0, '127.0.0.1');
    return { base: `http://127.0.0.1:${port}`, port, registry };
  }

  beforeAll(async () => {
    schema = createTestSchema('sbt_keys');
    store = await pgStore(schema.url, schema.schema, true);
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    await store?.close();
    await schema?.drop();
  });

  const get = (base: string, key: string) => fetch(`${base}/v1/dashboard`, { headers: { authorization: `Bearer ${key}` } });

  it('5. an hourly limit holds across two instances and a restart', async () => {
    const { key } = await store.createApiKey({ name: 'three', type: 'stream', rateLimitPerHour: 3 });
    const a = await instance();
    const b = await instance();
    expect((await get(a.base, key)).status).toBe(200);
    expect((await get(b.base, key)).status).toBe(200);
    expect((await get(a.base, key)).status).toBe(200);
    for (const base of [a.base, b.base]) {
      const r = await get(base, key);
      expect(r.status).toBe(429);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    // A restarted instance starts with no memory of the key: the store still says the hour is spent.
    await servers.shift()!.stop();
    const restarted = await instance();
    expect((await get(restarted.base, key)).status).toBe(429);
  });

  it('6. malformed keys are refused before the store; repeated failures from one address get 429', async () => {
    const srv = await instance();
    const { key } = await store.createApiKey({ name: 'good', type: 'stream', rateLimitPerHour: 1000 });
    const before = validations;
    for (const bad of ['nope', 'sb_' + 'g'.repeat(64), 'sb_' + 'a'.repeat(63), `sb_${'A'.repeat(64)}`]) {
      expect((await get(srv.base, bad)).status).toBe(401);
    }
    expect(validations).toBe(before); // not one store round trip
    // Well-formed but unknown keys do reach the store, and count as failures too.
    let status = 0;
    let tries = 0;
    while (status !== 429 && tries < 40) {
      tries += 1;
      status = (await get(srv.base, `sb_${tries.toString(16).padStart(64, '0')}`)).status;
    }
    expect(status).toBe(429);
    // 4 malformed + 16 unknown = 20 failures block the address; the 17th unknown key gets 429.
    expect(tries).toBe(17);
    const blocked = await get(srv.base, key);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { error: { code: string } }).error.code).toBe('TOO_MANY_FAILURES');
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    const metrics = await srv.registry.metrics();
    expect(metrics).toMatch(/api_key_failures_total\{reason="malformed"\} 4/);
    expect(metrics).toMatch(/api_key_failures_total\{reason="invalid"\} 16/);
    expect(metrics).toMatch(/api_key_failures_total\{reason="throttled"\} 2/); // the 17th unknown key and the good one
  });

  it('7. sockets per key are capped; untracked symbols are bounded with an error frame', async () => {
    const srv = await instance({ STREAM_MAX_SOCKETS_PER_KEY: '3' });
    const { key } = await store.createApiKey({ name: 'sockets', type: 'stream', rateLimitPerHour: 1000 });
    const { key: other } = await store.createApiKey({ name: 'other', type: 'stream', rateLimitPerHour: 1000 });
    const open = (k: string) =>
      new Promise<WebSocket>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/v1/stream`, { headers: { authorization: `Bearer ${k}` } });
        ws.once('open', () => resolve(ws));
        ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
        ws.once('error', reject);
      });
    const held = [await open(key), await open(key), await open(key)];
    await expect(open(key)).rejects.toThrow('HTTP 429');
    const theirs = await open(other); // another key is not affected
    held.pop()!.close();
    await vi.waitFor(async () => {
      held.push(await open(key));
    });

    const frames: { type: string; code?: string }[] = [];
    theirs.on('message', (raw) => frames.push(JSON.parse(String(raw)) as { type: string; code?: string }));
    const untracked = Array.from({ length: 40 }, (_, i) => `X${i}/BTC`);
    theirs.send(JSON.stringify({ type: 'subscribe', symbols: ['LTC/BTC', ...untracked] }));
    await vi.waitFor(() => expect(frames.find((f) => f.type === 'error')?.code).toBe('UNKNOWN_SYMBOLS'));
    for (const ws of [...held, theirs]) ws.close();
  });

  it('7. a socket that never finishes its upgrade request is closed at the header timeout (408)', async () => {
    const srv = await instance({}, { headersTimeoutMs: 1_000 });
    const sock = tcpConnect(srv.port, '127.0.0.1');
    let answer = '';
    sock.on('data', (d) => (answer += String(d)));
    const closed = new Promise<void>((resolve) => sock.once('close', () => resolve()));
    sock.write('GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    await closed;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('the stream refuses an Origin outside STREAM_ALLOWED_ORIGINS; clients without Origin are unaffected', async () => {
    const srv = await instance({ STREAM_ALLOWED_ORIGINS: 'https://app.example.com' });
    const { key } = await store.createApiKey({ name: 'origin', type: 'stream', rateLimitPerHour: 1000 });
    const status = (origin?: string) =>
      new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/v1/stream`, {
          headers: { authorization: `Bearer ${key}`, ...(origin ? { origin } : {}) },
        });
        ws.once('open', () => {
          ws.close();
          resolve(101);
        });
        ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.once('error', reject);
      });
    expect(await status('https://evil.example')).toBe(403);
    expect(await status('https://app.example.com')).toBe(101);
    expect(await status()).toBe(101);
  });
});
