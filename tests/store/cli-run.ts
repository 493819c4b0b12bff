/** Runs `node bin/signalbase.js ...` as a child process with exactly the environment given. */
import { execFile } from 'node:child_process';
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
