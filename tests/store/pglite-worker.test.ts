/**
 * The embedded store in a worker thread (src/store/pglite-worker-client.ts): the same guarantees as
 * PGlite on the main thread. The Store contract runs on it through openStore (embedded.test.ts);
 * here: the migration runner, typed errors, transactions, a dying worker, close, and the lock file
 * against a second process.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PgliteWorkerClient } from '../../src/store/pglite-worker-client.ts';
import { runCli } from './cli-run.ts';
import { expectStoreError } from './contract.ts';
import { inMemoryTarget, migrationSuite } from './migrate.suite.ts';

migrationSuite('embedded (PGlite in a worker thread)', () => inMemoryTarget(() => PgliteWorkerClient.open()));

/** The client's thread, to end it the way a crash would. */
const threadOf = (c: PgliteWorkerClient) => (c as unknown as { worker: Worker }).worker;

describe('PgliteWorkerClient', () => {
  const root = mkdtempSync(join(tmpdir(), 'sb-pglite-worker-'));
  let db: PgliteWorkerClient;

  beforeAll(async () => {
    db = await PgliteWorkerClient.open(join(root, 'pg'));
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, note text, data jsonb, raw bytea, at timestamptz)');
  });
  afterAll(async () => {
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('returns rows with their types across the thread boundary, and rowCount', async () => {
    const at = new Date('2026-01-02T03:04:05.678Z');
    const ins = await db.query('INSERT INTO t VALUES ($1, $2, $3::jsonb, $4, $5), (2, NULL, NULL, NULL, NULL)', [1, 'a', JSON.stringify({ k: [1, 2] }), Buffer.from([0, 255, 7]), at]);
    expect(ins.rowCount).toBe(2);
    const { rows, rowCount } = await db.query<{ id: number; note: string; data: unknown; raw: Uint8Array; at: Date }>('SELECT * FROM t WHERE id = $1', [1]);
    expect(rowCount).toBe(1);
    expect(rows[0]!.data).toEqual({ k: [1, 2] });
    expect([...rows[0]!.raw]).toEqual([0, 255, 7]);
    expect(rows[0]!.at).toBeInstanceOf(Date);
    expect(rows[0]!.at.getTime()).toBe(at.getTime());
  });

  it('turns driver errors into StoreErrors with the SQLSTATE and its fields', async () => {
    const dup = await expectStoreError(db.query('INSERT INTO t (id) VALUES (1)'), 'STORE_CONSTRAINT');
    expect(dup.retryable).toBe(false);
    expect(dup.context).toMatchObject({ sqlState: '23505', constraint: 't_pkey', table: 't', location: join(root, 'pg') });
    const syntax = await expectStoreError(db.query('SELEC 1'), 'STORE_QUERY_FAILED');
    expect(syntax.context.sqlState).toBe('42601');
    expect(syntax.context.position).toBe(1);
    const inScript = await expectStoreError(db.exec('SELECT 1; SELECT * FROM missing_table'), 'STORE_QUERY_FAILED');
    expect(inScript.context.sqlState).toBe('42P01');
  });

  it('commits a transaction, and rolls it back when the callback throws, rethrowing its error as is', async () => {
    const value = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t (id, note) VALUES (10, $1)', ['kept']);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id = 10')).rows[0]!.n;
    });
    expect(value).toBe(1);
    const bug = new TypeError('a bug in the callback');
    const thrown = await db
      .transaction(async (tx) => {
        await tx.query('INSERT INTO t (id, note) VALUES (11, $1)', ['dropped']);
        await tx.exec("UPDATE t SET note = 'changed' WHERE id = 10");
        throw bug;
      })
      .catch((e: unknown) => e);
    expect(thrown).toBe(bug);
    const { rows } = await db.query<{ id: number; note: string }>('SELECT id, note FROM t WHERE id >= 10 ORDER BY id');
    expect(rows).toEqual([{ id: 10, note: 'kept' }]);
  });

  it('rolls back on a failing statement and reports it typed; other statements wait for the transaction', async () => {
    let outsideDone = false;
    let outside: Promise<unknown> = Promise.resolve();
    await expectStoreError(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t (id) VALUES (20)');
        // Not in the transaction: PGlite runs it after ROLLBACK, so it never sees row 20.
        outside = db.query<{ n: number }>('SELECT count(*)::int AS n FROM t WHERE id = 20').then((r) => {
          outsideDone = true;
          return r.rows[0]!.n;
        });
        await new Promise((r) => setTimeout(r, 50));
        expect(outsideDone).toBe(false);
        await tx.query('INSERT INTO t (id) VALUES (20)');
      }),
      'STORE_CONSTRAINT',
    );
    expect(await outside).toBe(0);
  });

  it('fails pending and later calls with STORE_WORKER_DIED when the thread dies, and still closes', async () => {
    const dir = join(root, 'dies');
    const c = await PgliteWorkerClient.open(dir);
    const pending = c.query('SELECT pg_sleep(2)');
    await new Promise((r) => setTimeout(r, 100));
    await threadOf(c).terminate();
    const err = await expectStoreError(pending, 'STORE_WORKER_DIED');
    expect(err.message).toContain(dir);
    await expectStoreError(c.query('SELECT 1'), 'STORE_WORKER_DIED');
    await expectStoreError(c.transaction(async () => 1), 'STORE_WORKER_DIED');
    await c.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    const again = await PgliteWorkerClient.open(dir); // the data directory is usable again
    expect((await again.query<{ x: number }>('SELECT 1 AS x')).rows).toEqual([{ x: 1 }]);
    await again.close();
  });

  it('close() waits for statements sent before it, is idempotent, and refuses later calls', async () => {
    const dir = join(root, 'closing');
    const c = await PgliteWorkerClient.open(dir);
    const before = c.query<{ x: number }>('SELECT 7 AS x');
    const [first, second] = [c.close(), c.close()];
    expect((await before).rows).toEqual([{ x: 7 }]);
    await Promise.all([first, second]);
    await c.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    await expectStoreError(c.query('SELECT 1'), 'STORE_CLOSED');
  });

  it('holds the lock file in this process: a second open here and another process are refused', async () => {
    await expectStoreError(PgliteWorkerClient.open(join(root, 'pg')), 'STORE_LOCKED');
    const r = await runCli(['migrate'], { SIGNALBASE_DATA_DIR: root });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`process ${process.pid}`);
  });

  it('an unopenable directory is a StoreError and leaves no lock behind', async () => {
    const file = join(root, 'not-a-dir');
    await db.query('SELECT 1'); // the shared store still works
    writeFileSync(file, 'x');
    await expectStoreError(PgliteWorkerClient.open(file), 'STORE_QUERY_FAILED');
    expect(existsSync(`${file}.lock`)).toBe(false);
  });
});
