/**
 * The operator's dashboard in a real browser (Debian's chromium driven by playwright-core) against
 * a real daemon child on the embedded store:
 *
 *   1. history: `run --once` replays the first 500 real candles of LTC/BTC and XLM/BTC (signals,
 *      outcomes and candles stored, as fast as possible);
 *   2. live: the daemon replays the next candles paced (one 5 m candle every 0.5 s), so the page's
 *      chart and table update from /v1/stream while the test watches; training is made quick
 *      (TRAIN_EPOCHS=1, TRAIN_UNITS=4) so a retrain requested from the page is answered.
 *
 * A wrong key is refused in words. The page is opened without a key, the admin key typed into its
 * form; asserted: no console error or uncaught exception, candles in the chart, table rows growing
 * live, the retrain request's id and its final status DONE (the same the API reports), at least one
 * drift check from the page scored and listed (a model is made active with `train --activate` before
 * the page opens, so the checks never depend on the quick retrain passing the gate), the key in
 * sessionStorage and not in the URL or localStorage. A screenshot goes to test-artifacts/dashboard.png
 * (and to SIGNALBASE_SCREENSHOT when set, e.g. docs/dashboard.png).
 *
 * Without /usr/bin/chromium (or SIGNALBASE_TEST_CHROMIUM) the file is skipped, saying so, unless SIGNALBASE_TEST_BROWSER=required
 * (CI), which turns the absence into a failure.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DaemonStatus } from '../../src/serve/dashboard-routes.ts';
import { openStore } from '../../src/store/index.ts';
import { keyedReplaySetup, removeDir, spawnDaemon, tempDir } from '../daemon/helpers.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';
import { runCli } from '../store/cli-run.ts';
import { startDaemon, type RunningDaemon } from './helpers.ts';

/** Debian's chromium; SIGNALBASE_TEST_CHROMIUM points elsewhere (e.g. to check the missing-browser paths). */
const CHROMIUM = process.env.SIGNALBASE_TEST_CHROMIUM ?? '/usr/bin/chromium';
const REQUIRED = process.env.SIGNALBASE_TEST_BROWSER === 'required';
const PRESENT = existsSync(CHROMIUM);
const SCREENSHOT = process.env.SIGNALBASE_SCREENSHOT;
const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'] as const;
const HISTORY = 500;
const LIVE = 400;
const SAMPLE = new URL('../../data/sample/', import.meta.url);
const FINAL = ['DONE', 'FAILED', 'SKIPPED'];
const WALK_FORWARD = JSON.parse(readFileSync(new URL('../../docs/results/walk-forward-seed1.json', import.meta.url), 'utf8')) as Record<string, unknown> & { folds: unknown[] };

if (!PRESENT && !REQUIRED) {
  console.warn(`dashboard browser test skipped: ${CHROMIUM} is missing (apt-get install chromium; SIGNALBASE_TEST_BROWSER=required makes this a failure)`);
}

/** A replay directory holding candles [from, from + n) of each sample file. */
function sliceDir(from: number, n: number): string {
  const dir = tempDir('live');
  for (const f of FILES) {
    const rows = JSON.parse(readFileSync(new URL(f, SAMPLE), 'utf8')) as unknown[];
    writeFileSync(join(dir, f), JSON.stringify(rows.slice(from, from + n)));
  }
  return dir;
}

const dirs: string[] = [];
let daemon: RunningDaemon | undefined;
let context: BrowserContext | undefined;
let key: string;

describe.skipIf(!PRESENT && !REQUIRED)('dashboard in chromium', () => {
  beforeAll(async () => {
    if (!PRESENT) throw new Error(`SIGNALBASE_TEST_BROWSER=required but ${CHROMIUM} is missing: apt-get install -y --no-install-recommends chromium`);
    const setup = await keyedReplaySetup(FILES, HISTORY, { name: 'dashboard', type: 'admin' });
    dirs.push(...setup.dirs);
    key = setup.key;
    const env = { SIGNALBASE_DATA_DIR: setup.data, TRAIN_EPOCHS: '1', TRAIN_UNITS: '4', MIN_RETRAIN_INTERVAL_DAYS: '0' };
    const history = spawnDaemon(['--once', '--feed', `replay:${setup.feed}`], { ...env, PORT: '0' });
    const code = await history.exited;
    if (code !== 0) throw new Error(`the history run exited ${code}:\n${history.stderr().slice(-3000)}`);
    // A model is active before the page opens, whatever the gate says of the page's quick retrain
    // (--activate): so the drift checks below always run against a serving model.
    const trained = await runCli(['train', '--activate', '--seed', '1', '--epochs', '1', '--units', '4'], { ...env, TFJS_BACKEND: 'wasm' });
    if (trained.code !== 0) throw new Error(`train --activate exited ${trained.code}:\n${trained.stderr.slice(-3000)}`);

    // A recorded walk-forward run for the backtest panel: the real --json document of the README's
    // step=1d run (12 folds), recorded as `backtest --walk-forward` records it (the store is free now).
    const store = await openStore(testConfig({ SIGNALBASE_DATA_DIR: setup.data }), silentLogger(), { migrate: true });
    try {
      await store.insertBacktest({ kind: 'walk_forward', feed: String(WALK_FORWARD.feed), seed: 1, result: WALK_FORWARD });
    } finally {
      await store.close();
    }

    const live = sliceDir(HISTORY, LIVE);
    dirs.push(live);
    [daemon, context] = await Promise.all([
      startDaemon(['--feed', `replay:${live}?speed=600`], env),
      chromium.launchPersistentContext(tempDir('chromium'), {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1440, height: 960 },
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      }),
    ]);
  }, 240_000);

  afterAll(async () => {
    await context?.close();
    if (daemon) {
      daemon.child.kill('SIGTERM');
      await daemon.exited;
    }
    for (const d of dirs) removeDir(d);
  }, 60_000);

  it('shows the chart and live signals, answers a retrain request, keeps the key out of the URL', async () => {
    const page: Page = context!.pages()[0] ?? (await context!.newPage());
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`console: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
    let apiRequests = 0;
    page.on('request', (r) => {
      if (new URL(r.url()).pathname.startsWith('/v1/') && r.resourceType() !== 'websocket') apiRequests += 1;
    });
    const opened = performance.now();

    // A wrong key, in a tab of its own (chromium logs the 401 as a console error): refused in words, not kept.
    const probe = await context!.newPage();
    await probe.goto(`${daemon!.base}/`);
    await probe.locator('#api-key').fill('sb_not_a_key');
    await probe.getByRole('button', { name: 'Open dashboard' }).click();
    await expect.poll(() => probe.locator('#key-error').textContent()).toContain('The key was refused (401)');
    expect(await probe.evaluate(() => (globalThis as unknown as { sessionStorage: { length: number } }).sessionStorage.length)).toBe(0);
    await probe.close();

    await page.goto(`${daemon!.base}/`);
    await page.locator('#api-key').fill(key);
    await page.getByRole('button', { name: 'Open dashboard' }).click();
    await page.locator('#dashboard').waitFor({ state: 'visible', timeout: 30_000 });

    // The chart holds the stored history and the markers of its signals.
    await vi.waitFor(async () => expect(Number(await page.locator('#chart').getAttribute('data-candles'))).toBeGreaterThan(HISTORY / 2), { timeout: 30_000, interval: 250 });
    expect(Number(await page.locator('#chart').getAttribute('data-markers'))).toBeGreaterThan(0);

    // The newest recorded walk-forward run: a row per fold, the overall figures beside always-HOLD and the rules.
    await vi.waitFor(async () => expect(Number(await page.locator('#backtest-folds').getAttribute('data-rows'))).toBe(WALK_FORWARD.folds.length), { timeout: 30_000, interval: 250 });
    expect(await page.locator('#backtest-folds tbody tr').count()).toBe(WALK_FORWARD.folds.length);
    expect(await page.locator('#backtest-overall').textContent()).toContain('Always HOLD');

    // The table grows from the stream.
    const rows = () => page.locator('#signals-body tr').count();
    const before = await rows();
    await vi.waitFor(async () => expect(await rows()).toBeGreaterThan(before), { timeout: 30_000, interval: 250 });
    await expect.poll(() => page.locator('#stream-state').textContent()).toBe('Stream live');

    // The health panel's source, from the real daemon: the page is one of the subscribers.
    const health = (await (await fetch(`${daemon!.base}/v1/status`, { headers: { authorization: `Bearer ${key}` } })).json()) as DaemonStatus & { symbols: string[]; ws_subscribers: number };
    expect(health).toMatchObject({ phase: 'running', feed: { state: 'streaming', error: null }, symbols: ['LTC/BTC', 'XLM/BTC'], leadership: 'leader' });
    expect(health.ws_subscribers).toBeGreaterThanOrEqual(1);
    expect(health.tick_latency.ticks).toBeGreaterThan(0);
    expect(health.tick_latency.p99_ms!).toBeGreaterThanOrEqual(health.tick_latency.p50_ms!);
    expect(await page.locator('#health').textContent()).toContain('streaming');

    // A retrain request from the page is answered by the server.
    await page.getByRole('button', { name: 'Request retrain' }).click();
    const id = (await page.locator('#retrain-id').textContent({ timeout: 15_000 })) ?? '';
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const shown = () => page.locator('#retrain-status').getAttribute('data-status');
    await vi.waitFor(async () => expect(['RUNNING', ...FINAL]).toContain(await shown()), { timeout: 60_000, interval: 500 });
    // The quick training (1 epoch, 4 units) finishes: the page must show its final status, the server's.
    await vi.waitFor(async () => expect(FINAL).toContain(await shown()), { timeout: 150_000, interval: 1000 });
    const status = await shown();
    const server = (await (await fetch(`${daemon!.base}/v1/retrain/${id}`, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string };
    expect(server.status).toBe(status);
    expect(status).toBe('DONE');

    // Drift checked from the page against the model now serving (admin key): recorded and drawn, or
    // refused in words when no model is active (the quick training's gate may have refused it).
    // Checks repeat while the new model's live signals fill the drift window (insufficient_data until then).
    const checkDrift = async () => {
      await page.getByRole('button', { name: 'Check now' }).click();
      await page.locator('#drift-summary, #drift-result .notice-error').first().waitFor({ timeout: 60_000 });
      return page.locator('#drift-summary').getAttribute('data-status', { timeout: 1000 }).catch(() => null);
    };
    let checks = 0;
    let scored = 0;
    const models = (await (await fetch(`${daemon!.base}/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as { active_version: string | null };
    expect(models.active_version).not.toBeNull(); // the --activate model at least
    const checkable = models.active_version !== null;
    // The page offers the check exactly when a model is active (no request bound to fail with 409).
    await vi.waitFor(async () => expect(await page.getByRole('button', { name: 'Check now' }).isEnabled()).toBe(checkable), { timeout: 15_000, interval: 250 });
    if (checkable) await page.locator('#model-version').filter({ hasText: models.active_version! }).waitFor({ timeout: 15_000 });
    else console.log('dashboard: no model is active (the quick training was refused by the gate): drift checks skipped');
    for (let s = checkable ? await checkDrift() : null; s !== null; s = await checkDrift()) {
      checks += 1;
      if (s !== 'insufficient_data') scored += 1;
      if (scored >= 2 || checks >= 15) break;
      await page.waitForTimeout(s === 'insufficient_data' ? 4000 : 1100); // the chart's time axis takes one point a second
    }
    expect(checks).toBeGreaterThan(0);
    expect(scored).toBeGreaterThan(0); // at least one check scored the live window (not only insufficient_data)
    await vi.waitFor(async () => expect(await page.locator('#drift-table tbody tr').count()).toBeGreaterThanOrEqual(Math.min(checks, 8)), { timeout: 15_000, interval: 250 });

    // The key lives in this tab's session storage only.
    expect(page.url()).not.toContain(key);
    expect(await page.evaluate(() => (globalThis as unknown as { sessionStorage: { getItem(k: string): string | null } }).sessionStorage.getItem('signalbase.key'))).toBe(key);
    expect(await page.evaluate(() => JSON.stringify((globalThis as unknown as { localStorage: unknown }).localStorage))).not.toContain(key);

    await page.waitForTimeout(1500); // let the last stream updates paint
    const minutes = (performance.now() - opened) / 60_000;
    console.log(`dashboard: ${apiRequests} API requests in ${minutes.toFixed(1)} min (${Math.round(apiRequests / minutes)}/min) during a replay at 600x`);
    for (const path of ['test-artifacts/dashboard.png', ...(SCREENSHOT ? [SCREENSHOT] : [])]) {
      mkdirSync(dirname(path), { recursive: true });
      await page.screenshot({ path, fullPage: true });
    }
    expect(errors).toEqual([]);
  }, 360_000);
});
