/** `signalbase migrate` and `signalbase doctor` as a user runs them, on the embedded store. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLockFile } from '../../src/store/lock-file.ts';
import { loadMigrations } from '../../src/store/migrate.ts';
import { runCli } from './cli-run.ts';

const FILES = loadMigrations().map((f) => f.name);
const dataDir = mkdtempSync(join(tmpdir(), 'sb-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('signalbase migrate / doctor (embedded)', () => {
  it('migrate creates the whole schema on an empty store, then says it is up to date', async () => {
    const first = await runCli(['migrate'], { SIGNALBASE_DATA_DIR: dataDir });
    expect(first.code).toBe(0);
    const lines = first.stdout.trim().split('\n');
    expect(lines.slice(0, FILES.length)).toEqual(FILES.map((f) => `applied ${f}`));
    expect(lines[FILES.length]).toContain(`${FILES.length} applied`);

    const second = await runCli(['migrate', '--json'], { SIGNALBASE_DATA_DIR: dataDir });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ schema: 'public', location: join(dataDir, 'pg'), applied: [], total: FILES.length });
  });

  it('doctor prints one passing line per check and exits 0', async () => {
    const r = await runCli(['doctor'], { SIGNALBASE_DATA_DIR: dataDir });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/).slice(0, 2).join(' '))).toEqual(['ok config', 'ok store', 'ok schema', 'ok tfjs', 'ok feed', 'ok data-dir']);
    expect(lines[2]).toContain(`${FILES.length} migrations applied, none pending`);
  });

  it('while another process holds the embedded store, both commands stop and name its pid', async () => {
    const lock = acquireLockFile(join(dataDir, 'pg.lock'), 'test holder');
    try {
      const doctor = await runCli(['doctor', '--json'], { SIGNALBASE_DATA_DIR: dataDir });
      expect(doctor.code).toBe(1);
      const report = JSON.parse(doctor.stdout) as { ok: boolean; checks: { name: string; ok: boolean; detail: string }[] };
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.name === 'store')).toMatchObject({ ok: false });
      expect(report.checks.find((c) => c.name === 'store')!.detail).toContain(`process ${process.pid}`);

      const migrate = await runCli(['migrate'], { SIGNALBASE_DATA_DIR: dataDir });
      expect(migrate.code).toBe(1);
      expect(migrate.stderr.trim().split('\n')).toHaveLength(1);
      expect(migrate.stderr).toContain(`process ${process.pid}`);
    } finally {
      lock.release();
    }
  });

  it('a malformed DATABASE_URL: exit 2, one line naming DATABASE_URL', async () => {
    for (const cmd of ['migrate', 'doctor']) {
      const r = await runCli([cmd], { DATABASE_URL: 'not a url' });
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain('DATABASE_URL');
    }
  });

  it('an unreachable host: non-zero exit naming host:port, never the password', async () => {
    const env = { DATABASE_URL: 'postgres://u:secretpw@127.0.0.1:1/x' };
    const migrate = await runCli(['migrate'], env);
    expect(migrate.code).toBe(1);
    expect(migrate.stderr.trim().split('\n')).toHaveLength(1);
    expect(migrate.stderr).toContain('127.0.0.1:1');
    expect(migrate.stdout + migrate.stderr).not.toContain('secretpw');

    const doctor = await runCli(['doctor'], env);
    expect(doctor.code).toBe(1);
    const store = doctor.stdout.split('\n').find((l) => /^\S+\s+store\b/.test(l))!;
    expect(store).toMatch(/^FAIL/);
    expect(store).toContain('127.0.0.1:1');
    expect(doctor.stdout + doctor.stderr).not.toContain('secretpw');
  });

  it('an unknown flag is bad usage: exit 2', async () => {
    const r = await runCli(['migrate', '--frobnicate'], { SIGNALBASE_DATA_DIR: dataDir });
    expect(r.code).toBe(2);
  });
});
