/**
 * The deno binary of the `deno` devDependency, found without its postinstall script (npm 11 skips
 * install scripts unless approved, so `npm ci` leaves node_modules/deno/deno missing): the binary
 * ships inside the platform package (@deno/linux-x64-glibc, ...), an optional dependency npm
 * installs for this machine. Falls back to the package's bin.cjs, which finds the same binary.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

function platformPackage(): string | null {
  const arch = process.arch === 'x64' || process.arch === 'arm64' ? process.arch : null;
  if (!arch) return null;
  if (process.platform === 'linux') return `@deno/linux-${arch}-glibc`;
  if (process.platform === 'darwin') return `@deno/darwin-${arch}`;
  if (process.platform === 'win32') return `@deno/win32-${arch}`;
  return null;
}

/** [command, ...leading args] that run deno. */
export function denoCommand(): string[] {
  const pkg = platformPackage();
  if (pkg) {
    try {
      const bin = join(dirname(require.resolve(`${pkg}/package.json`)), process.platform === 'win32' ? 'deno.exe' : 'deno');
      if (existsSync(bin)) return [bin];
    } catch {
      // not installed for this platform: try the wrapper
    }
  }
  return [process.execPath, require.resolve('deno/bin.cjs')];
}

export interface DenoRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runDeno(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs: number }): Promise<DenoRun> {
  const [cmd, ...lead] = denoCommand();
  return new Promise((resolve) => {
    const child = spawn(cmd!, [...lead, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
