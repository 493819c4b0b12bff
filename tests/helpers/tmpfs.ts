/**
 * A small tmpfs for disk-full tests (mounted as root; the test is skipped with the reason when this
 * process may not mount). resize() is `mount -o remount,size=…`: freeing space without touching the
 * files on it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Tmpfs {
  dir: string;
  resize(size: string): void;
  /** Unmounts and removes the mount point. Idempotent. */
  destroy(): void;
}

let probed: { available: boolean; reason?: string } | undefined;

/** Whether a tmpfs can be mounted here (root with CAP_SYS_ADMIN), and why not. */
export function tmpfsAvailable(): { available: boolean; reason?: string } {
  if (!probed) {
    try {
      const t = mountTmpfs('64k');
      t.destroy();
      probed = { available: true };
    } catch (err) {
      probed = { available: false, reason: `cannot mount a tmpfs (needs root with CAP_SYS_ADMIN): ${(err as Error).message.split('\n')[0]}` };
    }
  }
  return probed;
}

export function mountTmpfs(size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), 'sb-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  let gone = false;
  return {
    dir,
    resize(next) {
      execFileSync('mount', ['-o', `remount,size=${next}`, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    },
    destroy() {
      if (gone) return;
      gone = true;
      try {
        execFileSync('umount', [dir], { stdio: ['ignore', 'pipe', 'pipe'] });
      } catch {
        // not mounted
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
