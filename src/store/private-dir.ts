/**
 * The embedded store is the operator's alone (DESIGN.md "Access and integrity"): SIGNALBASE_DATA_DIR
 * and everything in it (PGlite's files, the outbox journal, local artifacts, the stream key) is
 * readable and writable by the daemon's user only: directories 0700, files 0600.
 *
 * makePrivate() sets the process umask to 077 (so whatever the journal or the artifact store create
 * afterwards is private, whatever umask the shell had), creates the directory 0700 and tightens
 * what an earlier run left more open. The umask alone does not hold PGlite: Emscripten chmods the
 * files it creates to the mode asked for, so PGlite opens its directory through PrivateNodeFS
 * (pglite-private-fs.ts). loosePaths() is doctor's check.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread } from 'node:worker_threads';

const GROUP_OTHER = 0o077;

/** Walks `dir` (not following symlinks), calling `visit` with each path and its stat; at most `limit` entries. */
function walk(dir: string, visit: (path: string, mode: number, isDir: boolean) => void, limit = 100_000): void {
  const stack = [dir];
  let seen = 0;
  while (stack.length > 0 && seen < limit) {
    const p = stack.pop()!;
    let st;
    try {
      st = lstatSync(p);
    } catch {
      continue;
    }
    if (st.isSymbolicLink()) continue;
    seen += 1;
    visit(p, st.mode & 0o777, st.isDirectory());
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = readdirSync(p);
      } catch {
        names = [];
      }
      for (const n of names) stack.push(join(p, n));
    }
  }
}

/** Umask 077 for this process, then `dir` created 0700 and its existing tree tightened (dirs 0700, files 0600). */
export function makePrivate(dir: string): { tightened: number } {
  // process.umask() is refused in worker threads; the main thread's umask is the process's.
  if (isMainThread) process.umask(GROUP_OTHER);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  let tightened = 0;
  walk(dir, (path, mode, isDir) => {
    const want = isDir ? 0o700 : mode & 0o600;
    if ((mode & GROUP_OTHER) !== 0) {
      chmodSync(path, want);
      tightened += 1;
    }
  });
  return { tightened };
}

/** Paths under `dir` that the group or others may read, write or enter (at most `max` listed). */
export function loosePaths(dir: string, max = 10): { count: number; sample: string[] } {
  const sample: string[] = [];
  let count = 0;
  walk(dir, (path, mode) => {
    if ((mode & GROUP_OTHER) === 0) return;
    count += 1;
    if (sample.length < max) sample.push(`${path} (${mode.toString(8).padStart(4, '0')})`);
  });
  return { count, sample };
}
