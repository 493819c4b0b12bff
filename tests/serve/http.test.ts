/**
 * The HTTP API on a real server (127.0.0.1, port 0) with global fetch: auth, limits, bodies, error
 * envelopes, and that none of the refusals disturbs the stream or later requests.
 */
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toSignal } from '../../src/domain/signal.ts';
import { InvalidCandlesError, NotReadyError, UnknownSymbolError } from '../../src/serve/errors.ts';
import { connect, metric, record, signals, startServer, TestClock, upgradeStatus, type Harness } from './helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.api.stop();
  h = undefined;
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const json = (body: unknown) => ({ 'content-type': 'application/json', body: JSON.stringify(body) });

async function errorOf(res: Response): Promise<{ code: string; message: string }> {
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  const b = (await res.json()) as { error: { code: string; message: string } };
  expect(typeof b.error.message).toBe('string');
  return b.error;
}

describe('health, readiness, metrics', () => {
  it('answers /healthz, /readyz (200 or 503 with reasons) and /metrics without a key', async () => {
    let ready = { ready: false, reasons: ['no active model and rule fallback not warmed up'] };
    h = await startServer({ readiness: () => ready });
    const health = await fetch(`${h.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const head = await fetch(`${h.base}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');

    const notReady = await fetch(`${h.base}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ status: 'not_ready', reasons: ['no active model and rule fallback not warmed up'] });
    ready = { ready: true, reasons: [] };
    expect((await fetch(`${h.base}/readyz`)).status).toBe(200);

    const m = await fetch(`${h.base}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await m.text();
    expect(text).toMatch(/http_requests_total\{route="\/readyz",status="503"\} 1/);
    expect(text).toContain('ws_clients 0');
  });

  it('readyz is 503 when the readiness check itself throws', async () => {
    h = await startServer({
      readiness: () => {
        throw new Error('boom');
      },
    });
    const r = await fetch(`${h.base}/readyz`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as { reasons: string[] }).reasons).toHaveLength(1);
  });
});

describe('keys', () => {
  it('401 for no key, a wrong key and a revoked key, on HTTP and on the websocket upgrade', async () => {
    h = await startServer();
    const key = h.keys.add('k-stream', 'stream');
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: { 'x-api-key': key } })).status).toBe(200);

    const none = await fetch(`${h.base}/v1/dashboard`);
    expect(none.status).toBe(401);
    expect((await errorOf(none)).code).toBe('MISSING_API_KEY');
    const wrong = await fetch(`${h.base}/v1/dashboard`, { headers: auth('not-a-key') });
    expect(wrong.status).toBe(401);
    expect((await errorOf(wrong)).code).toBe('INVALID_API_KEY');

    expect((await upgradeStatus(h.ws)).status).toBe(401);
    expect((await upgradeStatus(h.ws, auth('not-a-key'))).status).toBe(401);
    expect((await upgradeStatus(`${h.ws}?key=not-a-key`)).status).toBe(401);

    h.keys.revoke(key);
    // The harness runs with cache TTL 0, so revocation is immediate.
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(401);
    expect((await upgradeStatus(h.ws, auth(key))).status).toBe(401);
    expect((await upgradeStatus(`${h.ws}?key=${key}`)).status).toBe(401);
  });

  it('caches validations: a revoked key works until the valid-key TTL passes, then 401', async () => {
    const clock = new TestClock(Date.UTC(2018, 0, 20, 10, 0, 0));
    h = await startServer({ clock, options: { keyCacheValidTtlMs: 30_000, keyCacheInvalidTtlMs: 5_000 } });
    const key = h.keys.add('k-cached', 'stream');
    for (let i = 0; i < 3; i++) expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);
    expect(h.keys.calls).toBe(1);
    h.keys.revoke(key);
    clock.t += 29_999;
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);
    clock.t += 1;
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(401);
    expect(h.keys.calls).toBe(2);
  });

  it('503 (not 401) when the key cannot be checked because the store is down', async () => {
    h = await startServer();
    const key = h.keys.add('k', 'admin');
    h.keys.fail = true;
    const r = await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) });
    expect(r.status).toBe(503);
    expect((await errorOf(r)).code).toBe('KEY_CHECK_UNAVAILABLE');
    h.keys.fail = false;
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);
  });

  it('403 for a key of the wrong type', async () => {
    h = await startServer();
    const stream = h.keys.add('k-stream', 'stream');
    const prediction = h.keys.add('k-pred', 'prediction');
    const admin = h.keys.add('k-admin', 'admin');
    const predict = (key: string) => fetch(`${h!.base}/v1/predict`, { method: 'POST', headers: auth(key), body: JSON.stringify({ symbol: 'LTC/BTC' }) });
    const retrain = (key: string) => fetch(`${h!.base}/v1/retrain`, { method: 'POST', headers: auth(key), body: '{}' });
    const forbidden = await predict(stream);
    expect(forbidden.status).toBe(403);
    expect((await errorOf(forbidden)).code).toBe('FORBIDDEN_KEY_TYPE');
    expect((await predict(prediction)).status).toBe(200);
    expect((await predict(admin)).status).toBe(200);
    expect((await retrain(prediction)).status).toBe(403);
    const ok = await retrain(admin);
    expect(ok.status).toBe(202);
    expect(await ok.json()).toEqual({ request_id: 'req-1' });
  });
});

describe('hourly rate limit', () => {
  it('429 with Retry-After once rate_limit requests were made in the hour, on HTTP and upgrades', async () => {
    const t0 = Date.UTC(2018, 0, 20, 10, 0, 0); // on a minute boundary
    const clock = new TestClock(t0);
    h = await startServer({ clock });
    const key = h.keys.add('k-limited', 'stream', 3);
    for (let i = 0; i < 3; i++) expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);

    const limited = await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) });
    expect(limited.status).toBe(429);
    expect((await errorOf(limited)).code).toBe('RATE_LIMITED');
    // All three requests were made in the minute starting at t0; they leave the 60-minute window
    // at t0 + 60 min (rate-limiter.ts), so a retry succeeds in exactly 3600 s.
    expect(limited.headers.get('retry-after')).toBe('3600');
    expect(await upgradeStatus(h.ws, auth(key))).toEqual({ status: 429, retryAfter: '3600' });

    clock.t = t0 + 30 * 60_000 + 15_000;
    const later = await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) });
    expect(later.status).toBe(429);
    expect(later.headers.get('retry-after')).toBe(String(3600 - 30 * 60 - 15));

    // Another key is not affected.
    const other = h.keys.add('k-other', 'stream', 3);
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(other) })).status).toBe(200);

    clock.t = t0 + 3_600_000;
    expect((await fetch(`${h.base}/v1/dashboard`, { headers: auth(key) })).status).toBe(200);
  });
});

describe('bodies and errors', () => {
  it('400 for malformed JSON and for a body that breaks the schema', async () => {
    h = await startServer();
    const key = h.keys.add('k-admin', 'admin');
    const bad = await fetch(`${h.base}/v1/predict`, { method: 'POST', headers: auth(key), body: '{"symbol": "LTC/BTC",' });
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).code).toBe('MALFORMED_JSON');

    const noSymbol = await fetch(`${h.base}/v1/predict`, { method: 'POST', headers: auth(key), body: '{"candles": []}' });
    expect(noSymbol.status).toBe(400);
    const e = await errorOf(noSymbol);
    expect(e.code).toBe('INVALID_BODY');

    const badCandle = await fetch(`${h.base}/v1/predict`, {
      method: 'POST',
      headers: auth(key),
      body: JSON.stringify({ symbol: 'LTC/BTC', candles: [[1515560100000, -1, 1, 1, 1, 1]] }),
    });
    expect(badCandle.status).toBe(400);

    const retrainExtra = await fetch(`${h.base}/v1/retrain`, { method: 'POST', headers: auth(key), body: '{"force": "yes"}' });
    expect(retrainExtra.status).toBe(400);
  });

  it('passes normalised candles to predict (objects and freqtrade rows)', async () => {
    const seen: unknown[] = [];
    h = await startServer({
      predict: async (symbol, cs) => {
        seen.push({ symbol, cs });
        return toSignal(record('LTC/BTC', 0, 'API'));
      },
    });
    const key = h.keys.add('k', 'prediction');
    const row = [1515560100000, 0.0169325, 0.01702482, 0.01690701, 0.01690701, 1615.44770933]; // LTC_BTC-5m.json row 0
    const r = await fetch(`${h.base}/v1/predict`, {
      method: 'POST',
      headers: auth(key),
      body: JSON.stringify({
        symbol: 'ltc-btc',
        candles: [row, { open_time: '2018-01-10T05:00:00Z', open: 0.01698499, high: 0.01705, low: 0.01690701, close: 0.01705, volume: 782.20238741 }],
      }),
    });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { id: string }).id).toBe(record('LTC/BTC', 0).id);
    expect(seen).toEqual([
      {
        symbol: 'LTC/BTC',
        cs: [
          { openTime: 1515560100000, open: 0.0169325, high: 0.01702482, low: 0.01690701, close: 0.01690701, volume: 1615.44770933 },
          { openTime: 1515560400000, open: 0.01698499, high: 0.01705, low: 0.01690701, close: 0.01705, volume: 782.20238741 },
        ],
      },
    ]);
  });

  it('413 for bodies over the limit, declared or streamed, and the server keeps serving', async () => {
    h = await startServer({ options: { retrainBodyLimitBytes: 1024, predictBodyLimitBytes: 4096 } });
    const key = h.keys.add('k-admin', 'admin');
    const big = JSON.stringify({ reason: 'x'.repeat(100 * 1024) });
    const declared = await fetch(`${h.base}/v1/retrain`, { method: 'POST', headers: auth(key), body: big });
    expect(declared.status).toBe(413);
    expect((await errorOf(declared)).code).toBe('PAYLOAD_TOO_LARGE');

    // No Content-Length: the body arrives chunked and is refused once it passes the limit.
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctl) {
        pulled += 1;
        if (pulled > 64) ctl.close();
        else ctl.enqueue(new TextEncoder().encode(`{"symbol":"LTC/BTC","pad":"${'y'.repeat(1000)}`));
      },
    });
    const streamed = await fetch(`${h.base}/v1/predict`, { method: 'POST', headers: auth(key), body: stream, duplex: 'half' } as RequestInit);
    expect(streamed.status).toBe(413);

    expect((await fetch(`${h.base}/v1/retrain`, { method: 'POST', headers: auth(key), ...json({ force: true, reason: 'ok' }) })).status).toBe(202);
  });

  it('maps the daemon\'s typed errors: unknown symbol 404, not ready 503, bad candles 400; others 500', async () => {
    const failures: Record<string, Error> = {
      'AAA/BTC': new UnknownSymbolError('AAA/BTC'),
      'BBB/BTC': new NotReadyError('model warming up'),
      'CCC/BTC': new InvalidCandlesError('open time not aligned to 5m'),
      'DDD/BTC': new Error('bug'),
    };
    h = await startServer({
      predict: async (symbol) => {
        throw failures[symbol]!;
      },
    });
    const key = h.keys.add('k', 'prediction');
    const statusOf = async (symbol: string) => {
      const r = await fetch(`${h!.base}/v1/predict`, { method: 'POST', headers: auth(key), body: JSON.stringify({ symbol }) });
      return [r.status, (await errorOf(r)).code];
    };
    expect(await statusOf('AAA/BTC')).toEqual([404, 'UNKNOWN_SYMBOL']);
    expect(await statusOf('BBB/BTC')).toEqual([503, 'NOT_READY']);
    expect(await statusOf('CCC/BTC')).toEqual([400, 'INVALID_CANDLES']);
    const internal = await fetch(`${h.base}/v1/predict`, { method: 'POST', headers: auth(key), body: JSON.stringify({ symbol: 'DDD/BTC' }) });
    expect(internal.status).toBe(500);
    expect((await errorOf(internal)).message).not.toContain('bug');
  });

  it('404 for unknown routes and symbols, 405 for a wrong method, 426 for a plain GET of the stream', async () => {
    h = await startServer();
    const key = h.keys.add('k', 'stream');
    const nf = await fetch(`${h.base}/v1/nothing`, { headers: auth(key) });
    expect(nf.status).toBe(404);
    expect((await errorOf(nf)).code).toBe('NOT_FOUND');
    const m = await fetch(`${h.base}/v1/predict`, { headers: auth(key) });
    expect(m.status).toBe(405);
    expect(m.headers.get('allow')).toBe('POST');
    expect((await errorOf(m)).code).toBe('METHOD_NOT_ALLOWED');
    expect((await fetch(`${h.base}/v1/stream`, { headers: auth(key) })).status).toBe(426);
    const unknown = await fetch(`${h.base}/v1/indicators/DOGE%2FBTC`, { headers: auth(key) });
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('UNKNOWN_SYMBOL');
    expect((await fetch(`${h.base}/v1/indicators/DOGEBTC`, { headers: auth(key) })).status).toBe(404);
    expect((await fetch(`${h.base}/v1/indicators/%E0%A4%A`, { headers: auth(key) })).status).toBe(400);
  });

  it('accepts LTC%2FBTC, LTC-BTC, LTC_BTC, LTC/BTC and (tracked) LTCBTC for /v1/indicators/:symbol', async () => {
    h = await startServer();
    const key = h.keys.add('k', 'stream');
    for (const form of ['LTC%2FBTC', 'LTC-BTC', 'ltc_btc', 'LTC/BTC', 'LTCBTC']) {
      const r = await fetch(`${h.base}/v1/indicators/${form}`, { headers: auth(key) });
      expect(r.status, form).toBe(200);
      expect(((await r.json()) as { symbol: string }).symbol).toBe('LTC/BTC');
    }
  });
});

describe('refusals do not disturb the pipeline', () => {
  it('after 401, 403, 429, 400, 413 and 404 the stream keeps delivering and a normal request succeeds', async () => {
    h = await startServer({ options: { retrainBodyLimitBytes: 1024 } });
    const admin = h.keys.add('k-admin', 'admin');
    const stream = h.keys.add('k-stream', 'stream');
    const limited = h.keys.add('k-one', 'stream', 1);
    const sub = await connect(h.ws, auth(stream));
    sub.send({ type: 'subscribe', symbols: ['LTC/BTC'] });
    await vi.waitFor(() => expect(h!.api.hub.clients()[0]?.state).toBe('live'));
    h.api.hub.publishSignals(signals([record('LTC/BTC', 0)]));

    const statuses = await Promise.all([
      fetch(`${h.base}/v1/dashboard`).then((r) => r.status),
      fetch(`${h.base}/v1/retrain`, { method: 'POST', headers: auth(stream), body: '{}' }).then((r) => r.status),
      fetch(`${h.base}/v1/predict`, { method: 'POST', headers: auth(admin), body: '{not json' }).then((r) => r.status),
      fetch(`${h.base}/v1/retrain`, { method: 'POST', headers: auth(admin), body: 'z'.repeat(50_000) }).then((r) => r.status),
      fetch(`${h.base}/v1/indicators/ZZZ-BTC`, { headers: auth(admin) }).then((r) => r.status),
    ]);
    await fetch(`${h.base}/v1/dashboard`, { headers: auth(limited) });
    statuses.push((await fetch(`${h.base}/v1/dashboard`, { headers: auth(limited) })).status);
    expect(statuses).toEqual([401, 403, 400, 413, 404, 429]);

    h.api.hub.publishSignals(signals([record('LTC/BTC', 1)]));
    await vi.waitFor(() => expect(sub.signalIds()).toEqual([record('LTC/BTC', 0).id, record('LTC/BTC', 1).id]));
    const ok = await fetch(`${h.base}/v1/dashboard`, { headers: auth(admin) });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ active_model: 'rules', total_predictions: 0 });
    expect(await metric(h.registry, 'http_requests_total', { route: '/v1/retrain', status: '413' })).toBe(1);
    sub.ws.close();
  });
});

describe('static files', () => {
  it('serves files under staticDir at / and nothing outside it', async () => {
    const root = await mkdtemp(join(tmpdir(), 'sb-static-'));
    const site = join(root, 'site');
    await mkdir(site);
    await writeFile(join(site, 'index.html'), '<h1>signalbase</h1>');
    await writeFile(join(site, 'app.js'), 'console.log(1)');
    await writeFile(join(root, 'secret.txt'), 'do not serve');
    await symlink(join(root, 'secret.txt'), join(site, 'link.txt'));
    h = await startServer({ staticDir: site });

    const index = await fetch(`${h.base}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await index.text()).toBe('<h1>signalbase</h1>');
    const js = await fetch(`${h.base}/app.js`);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toBe('console.log(1)');

    for (const path of ['/..%2Fsecret.txt', '/%2e%2e/secret.txt', '/link.txt', '/missing.html', '/%00']) {
      const r = await fetch(`${h.base}${path}`);
      expect(r.status, path).toBe(404);
      expect(await r.text()).not.toContain('do not serve');
    }
    // fetch normalises dot segments away; a raw request sends them as they are.
    const raw = (path: string) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(`${h!.base}${path}`, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const path of ['/../secret.txt', '/a/../../secret.txt', '/%2e%2e/secret.txt']) {
      const r = await raw(path);
      expect(r.status, path).toBe(404);
      expect(r.body).not.toContain('do not serve');
    }
    // API routes are not shadowed by files.
    expect((await fetch(`${h.base}/healthz`)).status).toBe(200);
  });
});
