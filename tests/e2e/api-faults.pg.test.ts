/**
 * A running daemon child (real Postgres schema, a paced real replay, --once) under hostile and
 * flaky clients, while one real websocket subscriber follows every signal from the start:
 *  - no key, a wrong key, a revoked key: 401 over HTTP and on the websocket upgrade;
 *  - a prediction key with an hourly limit of N: the N+1-th request is 429 with Retry-After;
 *  - malformed JSON: 400; a body over 1 MiB on /v1/predict: 413 (declared or streamed);
 *  - a stream key on POST /v1/retrain: 403;
 *  - a client receives k signals, disconnects, reconnects with since=<last id> and gets the rest:
 *    the union is exactly the stored predictions in stream order (domain/prediction.ts compareCursors);
 *  - none of it disturbs the pipeline: the subscriber receives all 2 × (N - 49) signals once, in
 *    order, the daemon exits 0, and the store holds exactly them and every candle.
 *
 * The tests share the one daemon and run in file order; the last one waits for the replay's end.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Signal } from '../../src/domain/signal.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { removeDir, replayDir, tempDir } from '../helpers/daemon.ts';
import { createTestSchema, serverPostgres, type TestSchema } from '../helpers/pg.ts';
import { expectCandlesComplete, pgStore, startDaemon, storedState, subscribe, upgradeStatus, type RunningDaemon, type Subscriber } from './helpers.ts';

const pg = await serverPostgres();

const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const SYMBOLS = ['LTC/BTC', 'XLM/BTC'];
const N = 400;
const PER_SERIES = N - (IndicatorSet.WARMUP_CANDLES - 1);
/** data/sample: both files start at 2018-01-10 04:55 UTC. */
const FIRST_OPEN = Date.UTC(2018, 0, 10, 4, 55);
const PREDICT_LIMIT = 3;
/** serve/api-server.ts predictBodyLimitBytes (DESIGN.md: 413 over 1 MiB on /v1/predict). */
const MIB = 1024 * 1024;

interface Envelope {
  error: { code: string; message: string };
}

describe.runIf(pg.available)('the API and stream of a running daemon under bad clients', () => {
  let schema: TestSchema;
  let daemon: RunningDaemon;
  let follower: Subscriber;
  const keys = { admin: '', stream: '', prediction: '', revoked: '' };
  const dirs: string[] = [];

  beforeAll(async () => {
    schema = createTestSchema('e2e_api');
    const store = await pgStore(schema.url, schema.schema, true);
    try {
      keys.admin = (await store.createApiKey({ name: 'e2e-admin', type: 'admin' })).key;
      keys.stream = (await store.createApiKey({ name: 'e2e-stream', type: 'stream' })).key;
      keys.prediction = (await store.createApiKey({ name: 'e2e-predict', type: 'prediction', rateLimitPerHour: PREDICT_LIMIT })).key;
      // Revoked before the daemon ever sees it valid (its key cache would honour a valid answer
      // for up to 30 s after a revocation, by design: serve/key-cache.ts).
      const revoked = await store.createApiKey({ name: 'e2e-revoked', type: 'admin' });
      expect(await store.revokeApiKey(revoked.id)).toBe(true);
      keys.revoked = revoked.key;
    } finally {
      await store.close();
    }
    const feed = replayDir(FILES, N);
    const data = tempDir('api');
    dirs.push(feed, data);
    // 5 m candles 4,000x faster: a tick every 75 ms, ~30 s for the replay.
    daemon = await startDaemon(['--once', '--feed', `replay:${feed}?speed=4000`], {
      DATABASE_URL: schema.url,
      SIGNALBASE_SCHEMA: schema.schema,
      SIGNALBASE_DATA_DIR: data,
    });
    follower = await subscribe(daemon.port, keys.admin, '2000-01-01T00:00:00.000Z');
    // Both series warm (each signals from its 50th candle on), so /v1/predict can answer.
    await vi.waitFor(() => expect(follower.signals.length).toBeGreaterThanOrEqual(20), { timeout: 60_000, interval: 50 });
  });

  afterAll(async () => {
    if (daemon && daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
    await schema?.drop();
    for (const d of dirs) removeDir(d);
  });

  const get = (path: string, headers: Record<string, string> = {}) => fetch(`${daemon.base}${path}`, { headers });
  const post = (path: string, body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}) =>
    fetch(`${daemon.base}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers }, duplex: 'half' } as RequestInit);
  const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
  const errorCode = async (res: Response) => ((await res.json()) as Envelope).error.code;

  it('refuses no key, a wrong key and a revoked key with 401, over HTTP and on the websocket upgrade', async () => {
    const path = '/v1/indicators/LTC%2FBTC';
    const none = await get(path);
    expect(none.status).toBe(401);
    expect(await errorCode(none)).toBe('MISSING_API_KEY');
    const wrong = await get(path, bearer(`sb_${'x'.repeat(40)}`));
    expect(wrong.status).toBe(401);
    expect(await errorCode(wrong)).toBe('INVALID_API_KEY');
    const revoked = await get(path, { 'x-api-key': keys.revoked });
    expect(revoked.status).toBe(401);
    expect(await errorCode(revoked)).toBe('INVALID_API_KEY');
    const good = await get(path, bearer(keys.stream)); // any key type may read indicators
    expect(good.status).toBe(200);

    expect(await upgradeStatus(daemon.port)).toBe(401);
    expect(await upgradeStatus(daemon.port, bearer('not-a-key'))).toBe(401);
    expect(await upgradeStatus(daemon.port, {}, `?key=${encodeURIComponent(keys.revoked)}`)).toBe(401);
    expect(await upgradeStatus(daemon.port, {}, `?key=${encodeURIComponent(keys.stream)}`)).toBe(101);
  });

  it('answers the request past a key\'s hourly limit with 429 and Retry-After', async () => {
    for (let i = 0; i < PREDICT_LIMIT; i++) {
      const ok = await post('/v1/predict', JSON.stringify({ symbol: 'LTC/BTC' }), bearer(keys.prediction));
      expect(ok.status, `request ${i + 1}`).toBe(200);
      expect(((await ok.json()) as Signal).symbol).toBe('LTC/BTC');
    }
    const limited = await post('/v1/predict', JSON.stringify({ symbol: 'LTC/BTC' }), bearer(keys.prediction));
    expect(limited.status).toBe(429);
    expect(await errorCode(limited)).toBe('RATE_LIMITED');
    // serve/rate-limiter.ts: whole seconds until a slot of the hour-long window frees.
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    // Other keys are not charged for it.
    const other = await post('/v1/predict', JSON.stringify({ symbol: 'XLM/BTC' }), bearer(keys.admin));
    expect(other.status).toBe(200);
  });

  it('answers malformed JSON with 400, bodies over 1 MiB with 413, and a stream key on /v1/retrain with 403', async () => {
    const malformed = await post('/v1/predict', '{"symbol": "LTC/BTC",', bearer(keys.admin));
    expect(malformed.status).toBe(400);
    expect(await errorCode(malformed)).toBe('MALFORMED_JSON');

    // Declared: Content-Length over the limit.
    const big = JSON.stringify({ symbol: 'LTC/BTC', pad: 'x'.repeat(MIB) });
    const declared = await post('/v1/predict', big, bearer(keys.admin));
    expect(declared.status).toBe(413);
    expect(await errorCode(declared)).toBe('PAYLOAD_TOO_LARGE');
    // Streamed (chunked, no length): refused once it passes the limit.
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent > 2 * MIB) return c.close();
        sent += chunk.length;
        c.enqueue(chunk);
      },
    });
    const streamed = await post('/v1/predict', stream, bearer(keys.admin));
    expect(streamed.status).toBe(413);
    expect(await errorCode(streamed)).toBe('PAYLOAD_TOO_LARGE');

    const forbidden = await post('/v1/retrain', JSON.stringify({ reason: 'e2e' }), bearer(keys.stream));
    expect(forbidden.status).toBe(403);
    expect(await errorCode(forbidden)).toBe('FORBIDDEN_KEY_TYPE');
  });

  it('resumes a disconnected client from since=<last id> with nothing missed and nothing repeated', async () => {
    const first = await subscribe(daemon.port, keys.stream, '2000-01-01T00:00:00.000Z');
    await vi.waitFor(() => expect(first.signals.length).toBeGreaterThanOrEqual(60), { timeout: 60_000, interval: 20 });
    await first.close();
    const part1 = [...first.signals];
    const lastId = part1.at(-1)!.id;
    // Signals published while it was away must come back from the resume, not be skipped.
    const missedFrom = follower.signals.length;
    await vi.waitFor(() => expect(follower.signals.length).toBeGreaterThanOrEqual(missedFrom + 10), { timeout: 60_000, interval: 20 });

    const second = await subscribe(daemon.port, keys.stream, lastId);
    const code = await second.closed; // the daemon closes it (1001) when the replay is over
    expect(code).toBe(1001);
    expect(second.errors).toEqual([]);

    expect(await daemon.exited).toBe(0);
    const stored = await storedState(schema.url, schema.schema);
    const union = [...part1, ...second.signals].map((s) => s.id);
    expect(union).toEqual(stored.predictions.map((p) => p.id));
  }, 120_000);

  it('kept the pipeline whole: the follower got every signal once and in order, the store holds exactly them', async () => {
    expect(await daemon.exited).toBe(0);
    expect(await follower.closed).toBe(1001);
    expect(follower.errors).toEqual([]);
    const stored = await storedState(schema.url, schema.schema);
    expect(stored.predictions).toHaveLength(SYMBOLS.length * PER_SERIES);
    expect(follower.signals.map((s) => s.id)).toEqual(stored.predictions.map((p) => p.id));
    expect(follower.signals.map((s) => s.predicted_direction)).toEqual(stored.predictions.map((p) => p.predictedDirection));
    expectCandlesComplete(stored, SYMBOLS, N, FIRST_OPEN);
  }, 120_000);
});
