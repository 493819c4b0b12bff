/**
 * Embedded Postgres (PGlite) in a worker thread, behind SqlClient. PGlite is WASM and single
 * threaded: on the main thread its statements took about half of a replay's CPU, in turn with the
 * indicators and inference (scripts/bench/pipeline.ts). In a worker they run on another core.
 *
 * What stays as with PgliteSqlClient: the lock file is taken and released by this (main) thread,
 * so a second process is refused exactly as before; every failure is a StoreError classified by
 * pg-errors.ts from the driver error's SQLSTATE, which crosses the thread boundary as plain fields;
 * transaction() runs `fn` here while the worker holds PGlite's transaction open, so other
 * statements wait for COMMIT / ROLLBACK as they did. A worker that dies fails every pending and
 * later call with STORE_WORKER_DIED (not retryable: the store is gone until the process restarts)
 * instead of leaving them unanswered. close() is idempotent.
 */
import { mkdirSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { StoreError } from '../errors.ts';
import { acquireLockFile, type HeldLock } from './lock-file.ts';
import { rethrowInTransaction, toStoreError } from './pg-errors.ts';
import { fromWireError, type WorkerInit, type WorkerReply, type WorkerRequest, type WorkerStarted } from './pglite-worker-protocol.ts';
import type { Row, SqlClient, SqlExecutor, SqlResult } from './sql-client.ts';

const WORKER_URL = new URL('./pglite-worker-entry.mjs', import.meta.url);

/** A request without its id (the client numbers them). */
type WithoutId<R> = R extends unknown ? Omit<R, 'id'> : never;
type Request = WithoutId<WorkerRequest>;

interface PendingCall {
  resolve(r: WorkerReply & { ok: true }): void;
  reject(err: StoreError): void;
}

/** How long close() waits for the worker to close the database before terminating it. */
const CLOSE_DEADLINE_MS = 30_000;

export class PgliteWorkerClient implements SqlClient {
  readonly kind = 'embedded' as const;
  readonly location: string;
  private readonly worker: Worker;
  private readonly lock: HeldLock | null;
  private readonly pending = new Map<number, PendingCall>();
  readonly query: SqlExecutor['query'];
  readonly exec: SqlExecutor['exec'];
  private nextId = 1;
  /** Set once the worker is gone: every call fails with it. */
  private dead: StoreError | null = null;
  private closing: Promise<void> | null = null;

  private constructor(worker: Worker, location: string, lock: HeldLock | null) {
    this.worker = worker;
    this.location = location;
    this.lock = lock;
    ({ query: this.query, exec: this.exec } = this.executor(undefined));
    worker.on('message', (r: WorkerReply) => this.settle(r));
    worker.on('error', (err) => this.die(`crashed: ${err.message}`, err));
    worker.on('exit', (code) => this.die(`exited with code ${code}`));
    worker.unref(); // referenced only while a call waits (call()), as a main-thread PGlite would be
  }

  /** Opens (creating if needed) the store in `dir` in a new worker thread, or an in-memory one. */
  static async open(dir?: string): Promise<PgliteWorkerClient> {
    const location = dir ?? ':memory:';
    const lock = dir === undefined ? null : acquireLockFile(`${dir}.lock`, `embedded store ${dir}`);
    let worker: Worker | null = null;
    try {
      if (dir !== undefined) mkdirSync(dir, { recursive: true, mode: 0o700 });
      worker = new Worker(WORKER_URL, { workerData: { dir } satisfies WorkerInit, execArgv: workerExecArgv() });
      await started(worker, location);
      return new PgliteWorkerClient(worker, location, lock);
    } catch (err) {
      await worker?.terminate();
      lock?.release();
      throw toStoreError(err, location);
    }
  }

  async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    const { id: tx } = await this.call({ type: 'begin' });
    let result: T;
    try {
      result = await fn(this.executor(tx));
    } catch (err) {
      await this.call({ type: 'end', tx, commit: false }).catch(() => undefined); // a dead worker rolled back by itself
      return rethrowInTransaction(err, this.location);
    }
    await this.call({ type: 'end', tx, commit: true });
    return result;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      try {
        if (!this.dead) await this.closeWorker();
      } finally {
        this.lock?.release();
      }
    })();
    return this.closing;
  }

  /**
   * Asks the worker to close the database (after every statement sent before) and lets it exit by
   * itself (so a --cpu-prof of the thread is written); terminates it past the deadline.
   */
  private async closeWorker(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_DEADLINE_MS)));
    this.worker.ref(); // until it is gone: an awaited close() must not let the process end first
    try {
      await Promise.race([this.call({ type: 'close' }).then(() => exited, () => undefined), deadline]);
    } finally {
      clearTimeout(timer);
      this.dead ??= this.closedError();
      await this.worker.terminate();
    }
  }

  private executor(tx: number | undefined): SqlExecutor {
    return {
      query: async <R = Row>(text: string, params: readonly unknown[] = []): Promise<SqlResult<R>> => {
        const r = await this.call({ type: 'query', text, params, tx });
        return { rows: (r.rows ?? []) as R[], rowCount: r.rowCount ?? 0 };
      },
      exec: async (script: string): Promise<void> => {
        await this.call({ type: 'exec', script, tx });
      },
    };
  }

  private call(req: Request): Promise<WorkerReply & { ok: true }> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.closing && req.type !== 'close') return Promise.reject(this.closedError());
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      try {
        this.worker.postMessage({ ...req, id } as WorkerRequest);
      } catch (err) {
        reject(toStoreError(err, this.location)); // a parameter structured clone cannot copy
        return;
      }
      if (this.pending.size === 0) this.worker.ref();
      this.pending.set(id, { resolve, reject });
    });
  }

  private settle(r: WorkerReply): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (this.pending.size === 0) this.worker.unref();
    if (r.ok) p.resolve(r);
    else p.reject(toStoreError(fromWireError(r.error), this.location));
  }

  private closedError(): StoreError {
    return new StoreError('STORE_CLOSED', `embedded store at ${this.location} is closed`, { context: { location: this.location } });
  }

  private die(how: string, cause?: unknown): void {
    if (this.dead) return;
    if (this.closing && this.pending.size === 0) {
      this.dead = this.closedError(); // the worker ending after close() is no crash
      return;
    }
    this.dead = new StoreError('STORE_WORKER_DIED', `the embedded store's worker thread (${this.location}) ${how}; restart the process`, {
      context: { location: this.location },
      cause,
    });
    for (const p of this.pending.values()) p.reject(this.dead);
    this.pending.clear();
  }
}

/**
 * No loaders or flags meant for the parent (vitest's, tsx's): the entry file registers tsx itself.
 * Only --cpu-prof* is passed on, so profiling the process profiles the store's thread too.
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter((a) => a.startsWith('--cpu-prof'));
}

/** Resolves once the worker opened the database; rejects with the driver error or the worker's crash. */
function started(worker: Worker, location: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => reject(new StoreError('STORE_WORKER_DIED', `the embedded store's worker thread (${location}) exited with code ${code} while opening`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (m: WorkerStarted) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      if (m.type === 'ready') resolve();
      else reject(fromWireError(m.error));
    });
  });
}
