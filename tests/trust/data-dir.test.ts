/**
 * Issue 13 item 10: the embedded store is the operator's alone. Under umask 022 (the common
 * default) PGlite made 969 of 1,073 files world-writable and the journal world-readable; tightening
 * them at start and stop still left what PGlite created in between open (pg_internal.init 0644
 * after the migrations, the cluster copied in 0666), because Emscripten chmods each file it creates
 * to the mode asked for (store/pglite-private-fs.ts).
 *
 * - PGlite opened by the store, with the process umask 022 and nothing tightened afterwards: after
 *   the migrations, writes, a VACUUM and a CHECKPOINT, every file is 0600 and every directory 0700
 *   while the database is open.
 * - A daemon child under umask 022, sampled while it replays and serves: the data directory never
 *   has a path open to the group or others, mid-run and after its stop, and doctor's data-dir check
 *   agrees mid-run; it fails, naming the path, once a file is opened up.
 */
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { doctorChecks } from '../../src/cli/doctor.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { migrate } from '../../src/store/migrate.ts';
import { PgliteWorkerClient } from '../../src/store/pglite-worker-client.ts';
import { loosePaths } from '../../src/store/private-dir.ts';
import { freePort, removeDir, replayDir, tempDir } from '../helpers/daemon.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

const log = createLogger({ level: 'silent', pretty: false });
const dataDirCheck = () => doctorChecks().find((c) => c.name === 'data-dir')!;

/** The sum of every series of a metric in GET /metrics (labelled or not). */
async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

function fileCount(dir: string): number {
  return (readdirSync(dir, { recursive: true }) as string[]).length;
}

describe('SIGNALBASE_DATA_DIR permissions', () => {
  it('PGlite creates its files 0600 and directories 0700 under umask 022 while open (migrations, writes, VACUUM, CHECKPOINT)', async () => {
    const parent = tempDir('pgmode');
    dirs.push(parent);
    const dir = join(parent, 'pg');
    const before = process.umask(0o022);
    try {
      const client = await PgliteWorkerClient.open(dir);
      try {
        await migrate(client, { schema: 'public', log });
        await client.exec(`
          CREATE TABLE perm_probe (id int PRIMARY KEY, body text);
          INSERT INTO perm_probe SELECT g, repeat('x', 300) FROM generate_series(1, 20000) g;
          CREATE INDEX perm_probe_body ON perm_probe (body);`);
        await client.exec('VACUUM perm_probe');
        await client.exec('CHECKPOINT');
        expect((await client.query<{ n: number }>('SELECT count(*)::int AS n FROM perm_probe')).rows[0]!.n).toBe(20000);
        // Open, mid-run: nothing tightened them, PGlite created them so.
        expect(statSync(dir).mode & 0o777).toBe(0o700);
        expect(fileCount(dir)).toBeGreaterThan(900);
        expect(loosePaths(dir)).toEqual({ count: 0, sample: [] });
      } finally {
        await client.close();
      }
      expect(loosePaths(dir)).toEqual({ count: 0, sample: [] }); // and what the shutdown checkpoint wrote
    } finally {
      process.umask(before);
    }
  }, 180_000);

  it('a daemon under umask 022 keeps the data dir 0700 and its files 0600 while it runs and after it stops; doctor agrees', async () => {
    const parent = tempDir('perm');
    dirs.push(parent);
    const feed = replayDir(['LTC_BTC-5m.json'], 200);
    dirs.push(feed);
    const data = join(parent, 'data');
    const port = await freePort();
    // No --once: after the replay the daemon keeps serving, so it is sampled running.
    const cmd = `umask 022 && exec "${process.execPath}" bin/signalbase.js run --feed "replay:${feed}"`;
    const child = spawn('/bin/sh', ['-c', cmd], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'info', TFJS_BACKEND: 'wasm', SIGNALBASE_DATA_DIR: data, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err = (err + String(d)).slice(-100_000)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));

    // Sample the tree the whole time: from the daemon's start through the replay and its writes.
    const samples: { files: number; loose: ReturnType<typeof loosePaths> }[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        try {
          samples.push({ files: fileCount(data), loose: loosePaths(data) });
        } catch {
          // not created yet
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    try {
      await vi.waitFor(() => expect(err).toContain('the replay ended; still serving'), { timeout: 200_000, interval: 250 });
      // Its writes reached the store (the outbox drained), with the daemon still running.
      await vi.waitFor(
        async () => {
          expect(await metricSum(port, 'outbox_applied_total')).toBeGreaterThan(0);
          expect(await metricSum(port, 'outbox_depth')).toBe(0);
        },
        { timeout: 60_000, interval: 250 },
      );
      const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent' });
      const midRun = await dataDirCheck().run({ config, log, sql: null });
      expect(midRun.ok, midRun.detail).toBe(true);
      expect(child.exitCode).toBeNull();
    } finally {
      sampling = false;
      await sampler;
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);

    const running = samples.filter((s) => s.files > 100);
    expect(running.length).toBeGreaterThan(5);
    expect(running.filter((s) => s.loose.count > 0).map((s) => s.loose.sample)).toEqual([]);

    expect(statSync(data).mode & 0o777).toBe(0o700);
    const files = readdirSync(data, { recursive: true }) as string[];
    expect(files.length).toBeGreaterThan(100); // PGlite's files, the journal, the stream key
    expect(loosePaths(data)).toEqual({ count: 0, sample: [] });

    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent' });
    expect((await dataDirCheck().run({ config, log, sql: null })).ok).toBe(true);
    const pgFile = files.find((f) => f.startsWith('pg') && statSync(join(data, f)).isFile())!;
    chmodSync(join(data, pgFile), 0o644);
    const bad = await dataDirCheck().run({ config, log, sql: null });
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain(pgFile);
  }, 300_000);
});
