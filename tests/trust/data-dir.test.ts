/**
 * Issue 13 item 10: the embedded store is the operator's alone. A daemon child started under
 * umask 022 (the common default, which made 969 of 1,073 PGlite files world-writable and the
 * journal world-readable) replays real candles into a fresh SIGNALBASE_DATA_DIR; afterwards the
 * directory is 0700 and nothing under it is open to the group or others. doctor's data-dir check
 * passes on it and fails, naming the path, once a file is opened up.
 */
import { spawn } from 'node:child_process';
import { chmodSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { doctorChecks } from '../../src/cli/doctor.ts';
import { loadConfig } from '../../src/config.ts';
import { createLogger } from '../../src/log.ts';
import { loosePaths } from '../../src/store/private-dir.ts';
import { freePort, removeDir, replayDir, tempDir } from '../helpers/daemon.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) removeDir(d);
});

describe('SIGNALBASE_DATA_DIR permissions', () => {
  it('a daemon under umask 022 leaves the data dir 0700 and its files 0600; doctor checks it', async () => {
    const parent = tempDir('perm');
    dirs.push(parent);
    const feed = replayDir(['LTC_BTC-5m.json'], 80);
    dirs.push(feed);
    const data = join(parent, 'data');
    const cmd = `umask 022 && exec "${process.execPath}" bin/signalbase.js run --feed "replay:${feed}" --once`;
    const child = spawn('/bin/sh', ['-c', cmd], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', TFJS_BACKEND: 'wasm', SIGNALBASE_DATA_DIR: data, PORT: String(await freePort()) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += String(d)));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code, err).toBe(0);

    expect(statSync(data).mode & 0o777).toBe(0o700);
    const files = readdirSync(data, { recursive: true }) as string[];
    expect(files.length).toBeGreaterThan(100); // PGlite's files, the journal, the stream key
    expect(loosePaths(data)).toEqual({ count: 0, sample: [] });

    const check = doctorChecks().find((c) => c.name === 'data-dir')!;
    const config = loadConfig({ SIGNALBASE_DATA_DIR: data, LOG_LEVEL: 'silent' });
    const log = createLogger({ level: 'silent', pretty: false });
    expect((await check.run({ config, log, sql: null })).ok).toBe(true);
    const pgFile = (files.find((f) => f.startsWith('pg') && statSync(join(data, f)).isFile()))!;
    chmodSync(join(data, pgFile), 0o644);
    const bad = await check.run({ config, log, sql: null });
    expect(bad.ok).toBe(false);
    expect(bad.detail).toContain(pgFile);
  }, 240_000);
});
