/**
 * A PRIVATE Postgres cluster for fault tests that stop and start the server itself (never the shared
 * server at 5432, which every other file uses): `initdb` into a temp directory as the `postgres` OS
 * user (runuser; Postgres refuses to run as root), its own free port on 127.0.0.1, trust auth,
 * fsync off (the tests kill the daemon, not the machine). stop() is a real server shutdown
 * (`pg_ctl stop -m immediate` by default: every connection drops at once, as in a crash), start()
 * brings the same data directory back on the same port.
 *
 * privatePostgres() says whether it can run here (binaries found, running as root or as postgres)
 * and why not; suites use `describe.runIf(pp.available)` and name `pp.reason` in a skip.
 *
 * Usage:
 *   const pp = privatePostgres();
 *   describe.runIf(pp.available)('...', () => {
 *     let pg: PrivateCluster;
 *     beforeAll(async () => (pg = await startPrivateCluster()));
 *     afterAll(() => pg?.destroy());
 *   });
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './daemon.ts';

const CANDIDATE_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/local/bin', '/usr/bin'];

function findBinDir(): string | null {
  for (const dir of CANDIDATE_BIN_DIRS) if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) return dir;
  try {
    for (const v of readdirSync('/usr/lib/postgresql').sort().reverse()) {
      const dir = `/usr/lib/postgresql/${v}/bin`;
      if (existsSync(join(dir, 'initdb'))) return dir;
    }
  } catch {
    // not a Debian layout
  }
  return null;
}

interface Runner {
  bin: string;
  /** Runs a Postgres binary as the postgres OS user. */
  argv(cmd: string, args: string[]): [string, string[]];
  uid: number | null;
  gid: number | null;
}

function runner(): { ok: true; r: Runner } | { ok: false; reason: string } {
  const bin = findBinDir();
  if (!bin) return { ok: false, reason: 'no initdb/pg_ctl found (install the postgresql server binaries)' };
  const me = userInfo();
  if (me.username === 'postgres') return { ok: true, r: { bin, argv: (c, a) => [join(bin, c), a], uid: null, gid: null } };
  if (me.uid !== 0) return { ok: false, reason: `a private cluster needs root (to run initdb as the postgres user) or the postgres user; running as ${me.username}` };
  if (!existsSync('/usr/sbin/runuser') && !existsSync('/sbin/runuser') && !existsSync('/usr/bin/runuser')) return { ok: false, reason: 'runuser not found' };
  const id = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
  if (id.status !== 0) return { ok: false, reason: 'no postgres OS user to run the cluster as' };
  return { ok: true, r: { bin, argv: (c, a) => ['runuser', ['-u', 'postgres', '--', join(bin, c), ...a]], uid: Number(id.stdout.trim()), gid: Number(gid.stdout.trim()) } };
}

let probed: { available: boolean; reason?: string } | undefined;

/** Whether a private cluster can be started on this machine, and why not. */
export function privatePostgres(): { available: boolean; reason?: string } {
  if (!probed) {
    const r = runner();
    probed = r.ok ? { available: true } : { available: false, reason: r.reason };
  }
  return probed;
}

export interface PrivateCluster {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  running: boolean;
  /** Starts the server (again) on the same port; resolves once it accepts connections. */
  start(): void;
  /** Stops the server: 'immediate' drops every connection at once (a crash), 'fast' a clean shutdown. */
  stop(mode?: 'immediate' | 'fast'): void;
  /** Stops it and deletes its data directory. Idempotent. */
  destroy(): void;
}

/** initdb + start a fresh cluster on a free port. Throws with the tool's output when it fails. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const got = runner();
  if (!got.ok) throw new Error(`cannot start a private Postgres: ${got.reason}`);
  const r = got.r;
  const root = mkdtempSync(join(tmpdir(), 'sb-private-pg-'));
  if (r.uid !== null) chownSync(root, r.uid, r.gid!);
  const data = join(root, 'data');
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = r.argv(cmd, args);
    try {
      execFileSync(file, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: root, encoding: 'utf8' });
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; message: string };
      throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
    }
  };
  run('initdb', ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8', '--locale=C']);
  const port = await freePort();
  const opts = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=60`;
  let destroyed = false;
  const cluster: PrivateCluster = {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dir: root,
    running: false,
    start() {
      if (cluster.running) return;
      run('pg_ctl', ['-D', data, '-o', opts, '-l', join(root, 'server.log'), '-w', '-t', '60', 'start']);
      cluster.running = true;
    },
    stop(mode = 'immediate') {
      if (!cluster.running) return;
      run('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '60', 'stop']);
      cluster.running = false;
    },
    destroy() {
      if (destroyed) return;
      destroyed = true;
      try {
        cluster.stop('immediate');
      } catch {
        // already down
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
  cluster.start();
  return cluster;
}
