/**
 * The example page (examples/browser/) in a real browser (Debian's chromium driven by
 * playwright-core), loaded from a static server on loopback with the client built for browsers
 * (scripts/build-client.mjs → browser.js, the platform WebSocket, no `ws`). It subscribes with a
 * user's JWT against the fake Realtime (Broadcast from the real triggers, the private join
 * authorised by the real realtime.messages policies) and the fake PostgREST (CORS, the user's role
 * under RLS) on one project URL, both in front of a real embedded store the test writes signals
 * and outcomes into through the Store port.
 *
 * Asserted: signals and their outcomes appear live; then the page's socket is cut (dropped, and
 * upgrades refused) for 10 s while signals keep coming and earlier ones resolve; nothing reaches
 * the page meanwhile; once Realtime is back the page shows every signal of the gap exactly once
 * (and every outcome once), then continues live. No uncaught error on the page.
 *
 * Without /usr/bin/chromium (or SIGNALBASE_TEST_CHROMIUM) the file is skipped, saying so, unless
 * SIGNALBASE_TEST_BROWSER=required (CI), which turns the absence into a failure.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';
import { realtimeFor } from '../helpers/fake-realtime.ts';
import { memoryStore } from '../helpers/pg.ts';
import { prediction } from '../store/fixtures.ts';

const CHROMIUM = process.env.SIGNALBASE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.SIGNALBASE_TEST_BROWSER === 'required';
const PRESENT = existsSync(CHROMIUM);
const ROOT = new URL('../../', import.meta.url).pathname;
const ANON = 'anon-key-for-the-example-page-0123456789';
const SERVICE = 'service-key-for-the-example-page-0123456789';
const JWT = 'eyJ.user-jwt-for-the-example-page.sig';
const CUT_MS = 10_000;
const T0 = Date.UTC(2018, 0, 20, 10, 5);
const MIN5 = 300_000;

if (!PRESENT && !REQUIRED) {
  console.warn(`example page browser test skipped: ${CHROMIUM} is missing (apt-get install chromium; SIGNALBASE_TEST_BROWSER=required makes this a failure)`);
}

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/** A static server: the repository's examples/ and, under /dist/client/, the client just built. */
async function staticServer(buildDir: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = path.startsWith('/dist/client/') ? join(buildDir, 'client', path.slice('/dist/client/'.length)) : path.startsWith('/examples/') ? join(ROOT, path) : null;
    const target = file && path.endsWith('/') ? join(file, 'index.html') : file;
    if (!target || !existsSync(target)) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(target)] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(readFileSync(target));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

let buildDir: string;
let store: SqlStore;
let rest: FakePostgrest;
let realtime: Awaited<ReturnType<typeof realtimeFor>>;
let site: { server: Server; url: string };
let browser: Browser | undefined;
let t = T0;
const written: PredictionRecord[] = [];
const resolved: string[] = [];

async function writeSignal(): Promise<PredictionRecord> {
  const p = prediction({ symbol: written.length % 2 === 0 ? 'LTC/BTC' : 'XLM/BTC', candleTime: (t += MIN5), predictedDirection: written.length % 3 === 0 ? 'SELL' : 'BUY' });
  expect(await store.insertPredictions([p])).toBe(1);
  written.push(p);
  return p;
}

/** Resolves the oldest open signal (TP and SL by turns). */
async function resolveOldest(): Promise<void> {
  const p = written.find((w) => !resolved.includes(w.id));
  if (!p) return;
  const tp = resolved.length % 2 === 0;
  expect(await store.resolvePredictions([{ predictionId: p.id, outcome: tp ? 'TP_HIT' : 'SL_HIT', exitPrice: tp ? p.takeProfit! : p.stopLoss!, profitLossPct: tp ? 2.4 : -1.8, outcomeTime: p.candleTime + 2 * MIN5 }])).toBe(1);
  resolved.push(p.id);
}

/** What the page shows: the ids of its signal rows, its outcome cells, its outcome list. */
function shown(page: Page): Promise<{ rows: string[]; outcomes: Record<string, string>; listed: string[]; status: string }> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): Iterable<{ dataset: Record<string, string>; querySelector(s: string): { textContent: string } | null }>; getElementById(id: string): { textContent: string } } }).document;
    const rows = [...doc.querySelectorAll('#signals tr')];
    const outcomes: Record<string, string> = {};
    for (const r of rows) {
      const text = r.querySelector('td.outcome')?.textContent ?? '';
      if (text) outcomes[r.dataset.id!] = text;
    }
    return { rows: rows.map((r) => r.dataset.id!), outcomes, listed: [...doc.querySelectorAll('#outcomes li')].map((l) => l.dataset.id!), status: doc.getElementById('status').textContent };
  });
}

const counts = (ids: string[]) => ids.reduce<Record<string, number>>((m, id) => ((m[id] = (m[id] ?? 0) + 1), m), {});

describe.skipIf(!PRESENT && !REQUIRED)('example page in chromium (Supabase client)', () => {
  beforeAll(async () => {
    if (!PRESENT) throw new Error(`SIGNALBASE_TEST_BROWSER=required but ${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`);
    buildDir = join(ROOT, 'test-artifacts', `client-build-${randomBytes(4).toString('hex')}`);
    mkdirSync(buildDir, { recursive: true });
    await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-client.mjs'), '--out', buildDir, '--js-only'], { cwd: ROOT });
    store = await memoryStore('public');
    await store.client.exec(`SET signalbase.capture_broadcasts = 'on'`);
    rest = await startFakePostgrest({ db: store.client, schema: 'public', serviceRoleKey: SERVICE, keys: { [ANON]: 'anon', [JWT]: 'authenticated' }, cors: true });
    realtime = await realtimeFor(store.client, 'public', ANON, { accessTokens: [ANON, JWT], roles: { [ANON]: 'anon', [JWT]: 'authenticated' }, gateway: rest.url });
    site = await staticServer(buildDir);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((resolve) => (site ? site.server.close(() => resolve()) : resolve()));
    await realtime?.close();
    await rest?.close();
    await store?.close();
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
  }, 60_000);

  it('shows signals and outcomes live, and after a 10 s cut every signal of the gap exactly once', async () => {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    // Chromium logs each refused WebSocket attempt during the cut; anything else is an error.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/WebSocket connection to .* failed/.test(m.text())) errors.push(`console: ${m.text()}`);
    });
    await page.goto(`${site.url}/examples/browser/`);
    await page.locator('#url').fill(realtime.server.url);
    await page.locator('#key').fill(ANON);
    await page.locator('#token').fill(JWT);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 15_000 }).toBe('open (broadcast)');

    // Live: signals appear as they are written, outcomes as they resolve.
    for (let i = 0; i < 4; i++) await writeSignal();
    await resolveOldest();
    await resolveOldest();
    await vi.waitFor(
      async () => {
        const s = await shown(page);
        expect(s.rows.slice().reverse()).toEqual(written.map((w) => w.id));
        expect(Object.keys(s.outcomes).sort()).toEqual(resolved.slice().sort());
      },
      { timeout: 15_000, interval: 100 },
    );
    const beforeCut = written.length;

    // The cut: the page's socket is dropped and every upgrade refused for 10 s; the market goes on.
    realtime.server.refuseConnections(true);
    realtime.server.dropAll();
    await expect.poll(() => page.locator('#status').getAttribute('data-status'), { timeout: 10_000 }).toBe('reconnecting');
    const cutUntil = Date.now() + CUT_MS;
    while (Date.now() < cutUntil) {
      await writeSignal();
      if (written.length % 2 === 0) await resolveOldest();
      await new Promise((r) => setTimeout(r, 500));
    }
    await realtime.feed.flush();
    const during = await shown(page);
    expect(during.rows).toHaveLength(beforeCut); // nothing of the gap reached the page live
    const gap = written.slice(beforeCut).map((w) => w.id);
    expect(gap.length).toBeGreaterThanOrEqual(5);
    realtime.server.refuseConnections(false);

    // Back: every signal of the gap once, every outcome once (caught up over REST), in candle order.
    await vi.waitFor(
      async () => {
        const s = await shown(page);
        expect(s.rows.slice().reverse()).toEqual(written.map((w) => w.id));
        expect(Object.keys(s.outcomes).sort()).toEqual(resolved.slice().sort());
        expect(s.status).toBe('open (broadcast)');
      },
      { timeout: 45_000, interval: 200 },
    );
    // Then live again.
    await writeSignal();
    await resolveOldest();
    await vi.waitFor(
      async () => {
        const s = await shown(page);
        expect(s.rows.slice().reverse()).toEqual(written.map((w) => w.id));
        expect(s.listed.slice().sort()).toEqual(resolved.slice().sort());
      },
      { timeout: 15_000, interval: 100 },
    );
    const final = await shown(page);
    expect(Object.values(counts(final.rows)).every((n) => n === 1)).toBe(true);
    expect(Object.values(counts(final.listed)).every((n) => n === 1)).toBe(true);
    expect(rest.requests.some((r) => r.method === 'GET' && r.path.startsWith('/rest/v1/ml_predictions') && r.status === 200)).toBe(true);
    mkdirSync(join(ROOT, 'test-artifacts'), { recursive: true });
    await page.screenshot({ path: join(ROOT, 'test-artifacts', 'example-page.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  }, 180_000);
});
