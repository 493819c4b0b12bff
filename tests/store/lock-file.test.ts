/** The embedded store's lock file: one process at a time, stale locks taken over. */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { acquireLockFile } from '../../src/store/lock-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'sb-lock-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function lockedBy(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('STORE_LOCKED');
    return err as StoreError;
  }
  throw new Error('expected STORE_LOCKED');
}

/** A real other process: alive until killed, or already gone. */
function otherProcess(alive: boolean): Promise<{ pid: number; kill(): void }> {
  const child = spawn(process.execPath, ['-e', alive ? 'setInterval(() => {}, 1000)' : ''], { stdio: 'ignore' });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    if (alive) child.once('spawn', () => resolve({ pid: child.pid!, kill: () => child.kill() }));
    else child.once('exit', () => resolve({ pid: child.pid!, kill: () => undefined }));
  });
}

describe('lock file', () => {
  it('is exclusive within a process and released on release()', () => {
    const path = join(dir, 'a.lock');
    const lock = acquireLockFile(path, 'embedded store A');
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lockedBy(() => acquireLockFile(path, 'embedded store A'));
    lock.release();
    lock.release(); // idempotent
    expect(existsSync(path)).toBe(false);
    acquireLockFile(path, 'embedded store A').release();
  });

  it('refuses while another live process holds it, naming that pid', async () => {
    const path = join(dir, 'b.lock');
    const other = await otherProcess(true);
    try {
      writeFileSync(path, JSON.stringify({ pid: other.pid, hostname: 'h', startedAt: '2026-01-01T00:00:00Z', argv: 'signalbase run' }));
      const err = lockedBy(() => acquireLockFile(path, 'embedded store B'));
      expect(err.message).toContain(`process ${other.pid}`);
      expect(err.message).toContain('embedded store B');
      expect(err.context.pid).toBe(other.pid);
    } finally {
      other.kill();
    }
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const path = join(dir, 'c.lock');
    const gone = await otherProcess(false);
    writeFileSync(path, JSON.stringify({ pid: gone.pid, hostname: 'h', startedAt: '2026-01-01T00:00:00Z', argv: 'crashed' }));
    const lock = acquireLockFile(path, 'embedded store C');
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('waits out a lock file being written right now, and takes over an old unreadable one', () => {
    const path = join(dir, 'd.lock');
    writeFileSync(path, '');
    lockedBy(() => acquireLockFile(path, 'embedded store D'));
    const old = new Date(Date.now() - 60_000);
    utimesSync(path, old, old);
    const lock = acquireLockFile(path, 'embedded store D');
    expect(JSON.parse(readFileSync(path, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });
});
