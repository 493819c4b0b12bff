/** Runs `node bin/signalbase.js ...` as a child process with exactly the environment given. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { acquireLockFile } from '../../src/store/lock-file.ts';

const BIN = fileURLToPath(new URL('../../bin/signalbase.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env }, timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** A long-running command (watch, run) as a child process, its output collected as it comes. */
export interface CliChild {
  child: ChildProcess;
  readonly out: string;
  readonly err: string;
  /** The exit code, or the signal that ended it. */
  exited: Promise<number | string>;
}

export function spawnCli(args: string[], env: Record<string, string>): CliChild {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const io = { out: '', err: '' };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (io.out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (io.err += d));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return {
    child,
    get out() {
      return io.out;
    },
    get err() {
      return io.err;
    },
    exited,
  };
}

/**
 * Runs a command while this test process holds the embedded store's lock file, as a running daemon
 * would. Every command must then fail the same way: exit 1, nothing on stdout, one stderr line that
 * names the holder's pid. Returns that line for the command-specific advice to be checked.
 */
export async function runWhileStoreHeld(dataDir: string, args: string[], env: Record<string, string>): Promise<string> {
  const lock = acquireLockFile(join(dataDir, 'pg.lock'), 'test holder');
  try {
    const r = await runCli(args, env);
    expect(r.code, args.join(' ')).toBe(1);
    expect(r.stdout).toBe('');
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`process ${process.pid}`);
    return lines[0]!;
  } finally {
    lock.release();
  }
}
