/**
 * The messages between PgliteWorkerClient (main thread) and the thread that runs PGlite
 * (pglite-worker.ts). Every request carries an id; the worker answers each with one reply of the
 * same id. A transaction is opened by a `begin` request whose id names it from then on; the worker
 * holds PGlite's transaction open until the matching `end`.
 */
import type { Row } from './sql-client.ts';

export interface WorkerInit {
  /** Data directory, or undefined for an in-memory database. */
  dir: string | undefined;
}

export type WorkerRequest =
  | { id: number; type: 'query'; text: string; params: readonly unknown[]; tx?: number }
  | { id: number; type: 'exec'; script: string; tx?: number }
  | { id: number; type: 'begin' }
  | { id: number; type: 'end'; tx: number; commit: boolean }
  | { id: number; type: 'close' };

export type WorkerReply =
  | { id: number; ok: true; rows?: Row[]; rowCount?: number }
  | { id: number; ok: false; error: WireError };

/** What the worker posts once, after opening the database (or failing to). */
export type WorkerStarted = { type: 'ready' } | { type: 'failed'; error: WireError };

/**
 * A driver error flattened for postMessage: structured clone keeps only an Error's name, message
 * and stack, while the classification (pg-errors.ts) needs the SQLSTATE `code`, `position`,
 * `detail`, `constraint` and `table` too.
 */
export interface WireError {
  name: string;
  message: string;
  stack?: string;
  fields: Record<string, string | number>;
}

/**
 * PGlite's file system is Emscripten's: a failed file operation throws an ErrnoError, a plain object
 * {name: 'ErrnoError', errno} that is no Error (its String() is "[object Object]"). Its errno is
 * Emscripten's numbering (system/lib/libc/musl/arch/emscripten/bits/errno.h), not Linux's.
 */
const EMSCRIPTEN_ERRNO: Record<number, string> = { 2: 'EACCES', 8: 'EBADF', 20: 'EEXIST', 28: 'EINVAL', 29: 'EIO', 31: 'EISDIR', 33: 'EMFILE', 44: 'ENOENT', 48: 'ENOMEM', 51: 'ENOSPC', 54: 'ENOTDIR', 63: 'EPERM', 69: 'EROFS' };

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) {
    const o = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; errno?: unknown; message?: unknown };
    if (typeof o.errno === 'number') {
      const code = EMSCRIPTEN_ERRNO[o.errno] ?? `errno ${o.errno}`;
      return { name: typeof o.name === 'string' ? o.name : 'Error', message: `${code}: the embedded store's file system refused an operation (Emscripten errno ${o.errno})`, fields: { code, errno: o.errno } };
    }
    return { name: 'Error', message: typeof o.message === 'string' ? o.message : typeof err === 'object' ? JSON.stringify(err) : String(err), fields: {} };
  }
  const fields: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(err)) {
    if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  }
  return { name: err.name, message: err.message, stack: err.stack, fields };
}

/** The driver error again, with its fields, for toStoreError. */
export function fromWireError(w: WireError): Error {
  const err = Object.assign(new Error(w.message), w.fields);
  err.name = w.name;
  if (w.stack !== undefined) err.stack = w.stack;
  return err;
}
