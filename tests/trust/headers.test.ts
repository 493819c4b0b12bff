/**
 * Beyond the list: the dashboard is served with a Content-Security-Policy (no inline or
 * foreign script, no framing), and every answer (pages, JSON, errors, metrics) with nosniff,
 * X-Frame-Options DENY and Referrer-Policy no-referrer. Real HTTP on loopback.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DASHBOARD_DIR } from '../../src/daemon/server.ts';
import { startServer, type Harness } from '../serve/helpers.ts';

let h: Harness | undefined;
afterEach(async () => {
  await h?.api.stop();
  h = undefined;
});

describe('security headers', () => {
  it('the dashboard page has a CSP that forbids inline script and framing; every answer has nosniff, DENY, no-referrer', async () => {
    h = await startServer({ staticDir: DASHBOARD_DIR });
    const page = await fetch(`${h.base}/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe-(inline|eval)/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    await page.arrayBuffer();
    const key = h.keys.add('k', 'stream');
    for (const [path, headers] of [
      ['/', {}],
      ['/app.js', {}],
      ['/healthz', {}],
      ['/metrics', {}],
      ['/v1/dashboard', {}],
      ['/v1/dashboard', { authorization: `Bearer ${key}` }],
      ['/nope', {}],
    ] as const) {
      const res = await fetch(`${h.base}${path}`, { headers });
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
      await res.arrayBuffer();
    }
  });
});
