/**
 * The wrong-key throttle behind a reverse proxy (TRUST_PROXY), over real sockets: by default the
 * socket's peer is the address, so a client cannot dodge the throttle by sending a new
 * X-Forwarded-For each time; with the proxy's address trusted, each client behind it is throttled
 * on its own (one client's 20 failures do not lock out the next), and entries a client writes to
 * the left of what the proxy appended are not believed. And METRICS_AUTH, from the configuration
 * through the daemon's access options: /metrics open by default, else behind a key.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { accessOptions } from '../../src/daemon/access.ts';
import { startServer, type Harness } from '../serve/helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.api.stop();
  h = undefined;
});

const WRONG = `sb_${'0'.repeat(64)}`;
async function tryKey(base: string, forwardedFor: string): Promise<{ status: number; code: string }> {
  const res = await fetch(`${base}/v1/dashboard`, { headers: { authorization: `Bearer ${WRONG}`, 'x-forwarded-for': forwardedFor } });
  const body = (await res.json()) as { error: { code: string } };
  return { status: res.status, code: body.error.code };
}

describe('TRUST_PROXY and the failure throttle', () => {
  it('without it, X-Forwarded-For is ignored: a new spoofed address per try is still throttled after 20', async () => {
    h = await startServer();
    for (let i = 0; i < 20; i++) expect((await tryKey(h.base, `198.51.100.${i + 1}`)).status).toBe(401);
    expect(await tryKey(h.base, '198.51.100.200')).toEqual({ status: 429, code: 'TOO_MANY_FAILURES' });
  });

  it('with the proxy trusted, each client behind it is throttled on its own, by what the proxy appended', async () => {
    h = await startServer({ options: { trustedProxies: ['127.0.0.1'] } as never });
    for (let i = 0; i < 20; i++) expect((await tryKey(h.base, '198.51.100.7')).status).toBe(401);
    expect(await tryKey(h.base, '198.51.100.7')).toEqual({ status: 429, code: 'TOO_MANY_FAILURES' });
    // A made-up entry to the left of what the proxy appended changes nothing.
    expect(await tryKey(h.base, '203.0.113.9, 198.51.100.7')).toEqual({ status: 429, code: 'TOO_MANY_FAILURES' });
    // Another client behind the same proxy is not locked out by the first.
    expect(await tryKey(h.base, '198.51.100.8')).toEqual({ status: 401, code: expect.any(String) as string });
  });
});

describe('METRICS_AUTH', () => {
  it('none (the default) serves /metrics to anyone; key asks for a valid key of any type; admin for an admin key', async () => {
    h = await startServer();
    expect((await fetch(`${h.base}/metrics`)).status).toBe(200);
    await h.api.stop();

    h = await startServer({ options: accessOptions(loadConfig({ METRICS_AUTH: 'key' }), { keyPattern: null }) as never });
    const stream = h.keys.add('scraper', 'stream', null);
    expect((await fetch(`${h.base}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${stream}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('api_key_failures_total');
    await h.api.stop();

    h = await startServer({ options: accessOptions(loadConfig({ METRICS_AUTH: 'admin' }), { keyPattern: null }) as never });
    const streamOnly = h.keys.add('scraper', 'stream', null);
    const admin = h.keys.add('ops', 'admin', null);
    expect((await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${streamOnly}` } })).status).toBe(403);
    expect((await fetch(`${h.base}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });
});
