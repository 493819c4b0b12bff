/**
 * The Edge Functions (supabase/functions) under deno, against a REAL daemon on loopback and a REST
 * store: the daemon (child process) replays two real symbols with API keys of four kinds
 * (prediction: ml-predict's own, admin, stream, one limited to 1 request an hour); the store is
 * the PostgREST fake (tests/helpers/fake-postgrest.ts) in front of a migrated PGlite holding one
 * stored LTC/BTC SIGNAL and a later API row over forged prices. `deno test` then runs every
 * functions test with the URLs, keys and the project JWT secret in its environment. Passes when
 * deno exits 0 and every Deno.test in the files passed (the count is read from the files, so a
 * test that silently did not run fails this). Afterwards: the retrain requests the operator filed
 * carry requested_by, and the daemon recorded ml-predict's API rows with the user and the key.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import { SqlStore } from '../../src/store/sql-store.ts';
import { SoleLeadership } from '../../src/store/leadership.ts';
import { freePort, keyedReplaySetup, openStoreAt, removeDir, spawnDaemon, type DaemonChild } from '../daemon/helpers.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';
import { record } from '../serve/helpers.ts';
import { runDeno } from './deno.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FUNCTIONS = join(ROOT, 'supabase/functions');

const dirs: string[] = [];
let daemon: DaemonChild | undefined;
let port: number;
const keys = { admin: '', stream: '', limited: '', prediction: '' };
let predictionKeyId = '';
let data = '';
let rest: PgliteSqlClient;
let fake: FakePostgrest;
const JWT_SECRET = randomBytes(32).toString('hex');
const SERVICE_ROLE_KEY = `service-role-${randomBytes(16).toString('hex')}`;
const USER = randomUUID();
const OPERATOR = randomUUID();
const signal = record('LTC/BTC', 120);

function testFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? testFiles(join(dir, e.name)) : e.name.endsWith('_test.ts') ? [join(dir, e.name)] : [],
  );
}

beforeAll(async () => {
  const setup = await keyedReplaySetup(['LTC_BTC-5m.json', 'XLM_BTC-5m.json'], 300, { name: 'edge-admin', type: 'admin' });
  dirs.push(...setup.dirs);
  keys.admin = setup.key;
  const store = await openStoreAt(setup.data);
  try {
    keys.stream = (await store.createApiKey({ name: 'edge-stream', type: 'stream' })).key;
    keys.limited = (await store.createApiKey({ name: 'edge-limited', type: 'prediction', rateLimitPerHour: 1 })).key;
    const p = await store.createApiKey({ name: 'edge-ml-predict', type: 'prediction' });
    keys.prediction = p.key;
    predictionKeyId = p.id;
  } finally {
    await store.close();
  }
  data = setup.data;
  // The REST store: a stored SIGNAL, and a later API row over forged prices that must never show.
  rest = await PgliteSqlClient.open();
  await migrate(rest, { schema: 'public' });
  const restStore = new SqlStore(rest, { schema: 'public', leadership: new SoleLeadership(), serverVersion: '' });
  const forged = record('LTC/BTC', 130, 'API');
  await restStore.insertPredictions([signal, { ...forged, id: randomUUID(), entryPrice: signal.entryPrice * 3 }]);
  fake = await startFakePostgrest({ db: rest, schema: 'public', serviceRoleKey: SERVICE_ROLE_KEY });
  port = await freePort();
  daemon = spawnDaemon(['--feed', `replay:${setup.feed}?speed=0`], { SIGNALBASE_DATA_DIR: setup.data, PORT: String(port) });
  // Ready once both symbols have indicators (the replay has gone through its candles).
  await vi.waitFor(
    async () => {
      for (const s of ['LTC%2FBTC', 'XLM%2FBTC']) {
        const res = await fetch(`http://127.0.0.1:${port}/v1/indicators/${s}`, { headers: { Authorization: `Bearer ${keys.admin}` } });
        expect(res.status, daemon?.stderr().slice(-2000)).toBe(200);
      }
    },
    { timeout: 180_000, interval: 500 },
  );
}, 240_000);

afterAll(async () => {
  await fake?.close();
  await rest?.close();
  if (daemon && daemon.child.exitCode === null) {
    daemon.child.kill('SIGTERM');
    await daemon.exited;
  }
  for (const d of dirs) removeDir(d);
});

const denoEnv = () => ({
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  NO_COLOR: '1',
  // npm: imports are fetched from the registry once and cached outside the repository.
  DENO_DIR: join(tmpdir(), 'signalbase-deno-cache'),
});

describe('Edge Functions under deno', () => {
  it('type-checks each deployable entry point (index.ts, which the tests do not import) and lints clean', async () => {
    const entries = readdirSync(FUNCTIONS).filter((d) => !d.startsWith('_')).map((d) => `supabase/functions/${d}/index.ts`);
    expect(entries.sort()).toEqual(['ml-predict', 'technical-indicators', 'trigger-model-training'].map((d) => `supabase/functions/${d}/index.ts`));
    const check = await runDeno(['check', ...entries], { cwd: ROOT, env: denoEnv(), timeoutMs: 120_000 });
    expect(check.code, check.stderr.slice(-3000)).toBe(0);
    const lint = await runDeno(['lint', 'supabase/functions'], { cwd: ROOT, env: denoEnv(), timeoutMs: 60_000 });
    expect(lint.code, `${lint.stdout.slice(-3000)}${lint.stderr.slice(-3000)}`).toBe(0);
  }, 180_000);

  it('runs every functions test green against the daemon', async () => {
    const files = testFiles(FUNCTIONS);
    const declared = files.reduce((n, f) => n + (readFileSync(f, 'utf8').match(/^Deno\.test\(/gm)?.length ?? 0), 0);
    expect(files.length).toBeGreaterThanOrEqual(4);

    const run = await runDeno(['test', '--allow-net', '--allow-env', '--allow-read', 'supabase/functions'], {
      cwd: ROOT,
      env: {
        ...denoEnv(),
        ML_API_URL: `http://127.0.0.1:${port}`,
        ML_API_KEY: keys.prediction,
        SB_TEST_ADMIN_KEY: keys.admin,
        SB_JWT_SECRET: JWT_SECRET,
        SB_TEST_USER: USER,
        SB_TEST_OPERATOR: OPERATOR,
        SB_TEST_SIGNAL_ENTRY: String(signal.entryPrice),
        SUPABASE_URL: fake.url,
        SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
        SB_TEST_STREAM_KEY: keys.stream,
        SB_TEST_LIMITED_KEY: keys.limited,
        SB_TEST_SAMPLE: join(ROOT, 'data/sample/LTC_BTC-5m.json'),
      },
      timeoutMs: 240_000,
    });
    const summary = /(ok|FAILED) \| (\d+) passed \| (\d+) failed/.exec(run.stdout);
    expect(run.code, `${run.stdout.slice(-4000)}\n${run.stderr.slice(-2000)}`).toBe(0);
    expect(summary, run.stdout.slice(-2000)).not.toBeNull();
    expect(Number(summary![3])).toBe(0);
    expect(Number(summary![2])).toBe(declared);

    // trigger-model-training wrote the requests itself, with who asked (null for the service role).
    const filed = await rest.query<{ requested_by: string | null; source: string }>('SELECT requested_by, source FROM public.ml_retrain_requests ORDER BY seq');
    expect(filed.rows.length).toBeGreaterThanOrEqual(2);
    expect(filed.rows.map((r) => r.requested_by)).toContain(OPERATOR);
    expect(filed.rows.every((r) => r.requested_by === OPERATOR || r.requested_by === null)).toBe(true);

    // ml-predict's calls are API rows of the daemon's store, recorded with the user and the function's key.
    daemon!.child.kill('SIGTERM');
    expect(await daemon!.exited).toBe(0);
    const db = await PgliteSqlClient.open(join(data, 'pg'));
    try {
      const api = await db.query<{ requested_by: string | null; api_key_id: string | null }>(
        `SELECT requested_by, api_key_id FROM public.ml_predictions WHERE prediction_type = 'API'`,
      );
      const mine = api.rows.filter((r) => r.requested_by === USER);
      expect(mine.length).toBeGreaterThanOrEqual(2);
      expect(mine.every((r) => r.api_key_id === predictionKeyId)).toBe(true);
    } finally {
      await db.close();
    }
  }, 300_000);
});
