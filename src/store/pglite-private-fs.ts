/**
 * PGlite's Node file system with owner-only modes (DESIGN.md "Access and integrity": the data
 * directory's files 0600, its directories 0700, while the daemon runs and not only after it stops).
 *
 * Why PGlite's files came out 0666 (or 0644) whatever the process umask: Emscripten's FS.open
 * creates a file through NODEFS.mknod (fs.writeFileSync, which the umask does limit) and then
 * chmods it explicitly to the mode the caller asked for, and an explicit chmod ignores the umask.
 * The callers ask for loose modes: the fresh cluster initdb builds in memory is copied in with
 * each tar entry's 0666 (969 files), and the backend's fopen()s (pg_internal.init, the statistics
 * file at shutdown) pass 0666 less Emscripten's own emulated umask, which starts at 022 and which
 * PGlite never changes. PGlite has no mode option; the chmod and the mknod of NODEFS are where every
 * mode reaches the disk, so this file system takes the group's and others' bits off there, before
 * anything is opened.
 */
import { mkdirSync } from 'node:fs';
import { NodeFS } from '@electric-sql/pglite/nodefs';

type InitArgs = Parameters<NodeFS['init']>;
type PostgresMod = InitArgs[1];

/** The mode bits nobody but the owner may have. */
export const NOT_OWNER = 0o077;

interface Attr {
  mode?: number;
}
/** The two NODEFS tables whose functions set a mode (Emscripten's library_nodefs.js). */
interface NodefsOps {
  node_ops: {
    mknod(parent: unknown, name: string, mode: number, dev: number): unknown;
    setattr(node: unknown, attr: Attr): void;
  };
  stream_ops: { setattr(stream: unknown, attr: Attr): void };
}

const owned = (attr: Attr): Attr => (attr.mode == null ? attr : { ...attr, mode: attr.mode & ~NOT_OWNER });

/** Wraps `mod.NODEFS`'s mode-setting functions so no mode keeps a group or other bit (idempotent). */
export function ownerOnlyModes(mod: Pick<PostgresMod, 'NODEFS'>): void {
  const nodefs = mod.NODEFS as unknown as NodefsOps & { ownerOnly?: true };
  if (nodefs.ownerOnly) return;
  nodefs.ownerOnly = true;
  const { node_ops: node, stream_ops: stream } = nodefs;
  const mknod = node.mknod.bind(node);
  const setattr = node.setattr.bind(node);
  const fsetattr = stream.setattr.bind(stream);
  node.mknod = (parent, name, mode, dev) => mknod(parent, name, mode & ~NOT_OWNER, dev);
  node.setattr = (n, attr) => setattr(n, owned(attr));
  stream.setattr = (s, attr) => fsetattr(s, owned(attr));
}

/** NodeFS (PGlite's `dataDir` file system) whose files and directories are the owner's only. */
export class PrivateNodeFS extends NodeFS {
  constructor(dataDir: string) {
    // NodeFS would create a missing directory with the umask's mode (0755 under 022).
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    super(dataDir);
  }

  override init(pg: InitArgs[0], opts: Partial<PostgresMod>): ReturnType<NodeFS['init']> {
    // Before NodeFS's own preRun mounts the directory, so the very first file is created private.
    return super.init(pg, { ...opts, preRun: [...(opts.preRun ?? []), ownerOnlyModes] });
  }
}
