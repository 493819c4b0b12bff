/**
 * The embedded store belongs to one process at a time (DESIGN.md "Configuration"). A lock file
 * beside the data directory holds the owner's pid; a second process gets a StoreError naming that
 * pid. A lock left by a process that no longer exists is taken over, so a crashed daemon restarts
 * cleanly.
 */
import { mkdirSync, readFileSync, rmdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StoreError } from '../errors.ts';

export interface LockOwner {
  pid: number;
  hostname: string;
  startedAt: string;
  argv: string;
}

export interface HeldLock {
  readonly path: string;
  /** Idempotent; removes the file only while it still names this process. */
  release(): void;
}

/** Paths this process holds, so opening the same store twice in one process is refused too. */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isYoung(path: string): boolean {
  try {
    return Date.now() - statSync(path).mtimeMs < 5_000;
  } catch {
    return false;
  }
}

function readOwner(path: string): LockOwner | null {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockOwner>;
    return typeof parsed.pid === 'number' ? (parsed as LockOwner) : null;
  } catch {
    return null; // vanished, or half-written by a process that died mid-write
  }
}

function lockedError(path: string, what: string, owner: LockOwner): StoreError {
  return new StoreError(
    'STORE_LOCKED',
    `${what} is in use by process ${owner.pid} (${owner.argv}, since ${owner.startedAt}); ` +
      `stop that process or use its HTTP API; if no such process runs, delete ${path}`,
    { context: { path, pid: owner.pid } },
  );
}

/**
 * Creates the lock file exclusively or fails with STORE_LOCKED. `what` names the guarded thing
 * in the message (e.g. "embedded store /data/pg").
 */
export function acquireLockFile(path: string, what: string): HeldLock {
  if (heldHere.has(path)) {
    throw lockedError(path, what, { pid: process.pid, hostname: hostname(), startedAt: 'earlier', argv: 'this process' });
  }
  mkdirSync(dirname(path), { recursive: true });
  const me: LockOwner = {
    pid: process.pid,
    hostname: hostname(),
    startedAt: new Date().toISOString(),
    argv: process.argv.slice(1).join(' ').slice(0, 200),
  };
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      heldHere.add(path);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          heldHere.delete(path);
          try {
            if (readOwner(path)?.pid === process.pid) unlinkSync(path);
          } catch {
            // already gone
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = readOwner(path);
    // The pid in the file is ours only when a previous run of this same container (pid 1 again)
    // died without releasing it: this process never wrote it (heldHere says so).
    if (owner && owner.pid !== process.pid && isAlive(owner.pid)) throw lockedError(path, what, owner);
    if (!owner && isYoung(path)) {
      // Unreadable and fresh: another process is writing it right now.
      throw new StoreError('STORE_LOCKED', `${what} is being opened by another process right now (${path})`, { context: { path } });
    }
    takeOverStale(path, owner);
  }
  throw new StoreError('STORE_LOCKED', `${what}: could not take the lock file ${path} after 3 attempts; another process is racing for it`, {
    context: { path },
  });
}

/**
 * Removes a stale lock, at most one process at a time: a takeover directory (mkdir is atomic)
 * keeps two processes from both deleting and re-creating the file. A takeover directory older
 * than ten seconds was left by a process that died mid-takeover.
 */
function takeOverStale(path: string, seen: LockOwner | null): void {
  const guard = `${path}.takeover`;
  try {
    mkdirSync(guard);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(guard).mtimeMs > 10_000) rmdirSync(guard);
    } catch {
      // someone else finished it
    }
    return; // let the caller retry the exclusive create
  }
  try {
    const now = readOwner(path);
    // Still the lock we judged stale (or unreadable)? Then it is safe to remove.
    if ((now === null && seen === null) || (now !== null && seen !== null && now.pid === seen.pid && now.startedAt === seen.startedAt)) {
      unlinkSync(path);
    }
  } catch {
    // vanished meanwhile: fine
  } finally {
    rmdirSync(guard);
  }
}
