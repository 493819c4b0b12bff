/**
 * The thread that runs the embedded PGlite for PgliteWorkerClient (pglite-worker-client.ts), so
 * the database's CPU (parsing, planning, executing, all in WASM) runs beside the daemon's main
 * thread instead of on it. Requests are handled as they arrive; PGlite's own mutexes keep them in
 * order and keep other statements out of an open transaction, as they did on the main thread.
 * Loaded through pglite-worker-entry.mjs.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { WorkerInit, WorkerReply, WorkerRequest, WorkerStarted } from './pglite-worker-protocol.ts';
import type { Row } from './sql-client.ts';
import { toWireError } from './pglite-worker-protocol.ts';
import { PrivateNodeFS } from './pglite-private-fs.ts';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

/** An open transaction: its handle, and how to end it (true commits) naming the request to answer. */
interface OpenTx {
  tx: Transaction;
  finish(commit: boolean, replyTo: number): void;
}

/** Thrown inside PGlite's transaction callback to make it roll back. */
class RollbackRequested extends Error {}

const port = parentPort!;
const { dir } = workerData as WorkerInit;
const txs = new Map<number, OpenTx>();
let db: PGlite;

function reply(r: WorkerReply): void {
  port.postMessage(r);
}

function target(tx: number | undefined): Queryable {
  if (tx === undefined) return db;
  const open = txs.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  return open.tx;
}

/**
 * Opens PGlite's transaction and answers `begin` (whose id names the transaction) once it holds
 * it; the transaction then waits for `end`, whose request its outcome (COMMIT, or the ROLLBACK
 * asked for) answers.
 */
function begin(id: number): void {
  let replyTo: number | undefined;
  db.transaction(async (tx) => {
    const commit = await new Promise<boolean>((resolve) => {
      txs.set(id, {
        tx,
        finish(c, to) {
          replyTo = to;
          resolve(c);
        },
      });
      reply({ id, ok: true });
    });
    if (!commit) throw new RollbackRequested();
  })
    .then(
      () => reply({ id: replyTo!, ok: true }),
      (err: unknown) => {
        if (replyTo === undefined) reply({ id, ok: false, error: toWireError(err) }); // BEGIN itself failed
        else reply(err instanceof RollbackRequested ? { id: replyTo, ok: true } : { id: replyTo, ok: false, error: toWireError(err) });
      },
    )
    .finally(() => txs.delete(id));
}

function end(id: number, tx: number, commit: boolean): void {
  const open = txs.get(tx);
  if (!open) throw new Error(`transaction ${tx} is not open`);
  open.finish(commit, id);
}

async function run(req: WorkerRequest): Promise<void> {
  switch (req.type) {
    case 'query': {
      const res = await target(req.tx).query(req.text, req.params as unknown[]);
      reply({ id: req.id, ok: true, rows: res.rows as Row[], rowCount: res.rowCount ?? res.affectedRows ?? res.rows.length });
      return;
    }
    case 'exec':
      await target(req.tx).exec(req.script);
      reply({ id: req.id, ok: true });
      return;
    case 'begin':
      begin(req.id);
      return;
    case 'end':
      end(req.id, req.tx, req.commit);
      return;
    case 'close':
      if (!db.closed) await db.close();
      reply({ id: req.id, ok: true });
      port.close();
      return;
  }
}

try {
  // Its files owner-only from the first one on (pglite-private-fs.ts), not just when tightened later.
  db = await PGlite.create(dir === undefined ? {} : { fs: new PrivateNodeFS(dir) });
  port.postMessage({ type: 'ready' } satisfies WorkerStarted);
} catch (err) {
  port.postMessage({ type: 'failed', error: toWireError(err) } satisfies WorkerStarted);
  process.exit(1);
}

port.on('message', (req: WorkerRequest) => {
  run(req).catch((err: unknown) => reply({ id: req.id, ok: false, error: toWireError(err) }));
});
