/**
 * The outbox against the REAL embedded store (PGlite, one per file). Failures are injected by a
 * wrapper that refuses calls the way an unreachable database does (helpers.ts), a real CHECK
 * constraint gives the poison row, and a real child process killed with SIGKILL gives the crash.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Candle } from '../../../src/domain/candle.ts';
import type { PredictionRecord } from '../../../src/domain/prediction.ts';
import { StoreError } from '../../../src/errors.ts';
import { openStore } from '../../../src/store/index.ts';
import { Outbox, OutboxStateError, type OutboxOptions } from '../../../src/store/outbox/index.ts';
import { outboxDeadLetters, outboxWriteFailures } from '../../../src/store/outbox/metrics.ts';
import type { SqlStore } from '../../../src/store/sql-store.ts';
import { silentLogger, testConfig } from '../../helpers/pg.ts';
import { FlakyStore, undefinedTable } from './helpers.ts';
import { crashPrediction, outcomeFor, sample, STEP, T0 } from './records.ts';

const log = silentLogger();
let store: SqlStore;
let storeDir: string;
const dirs: string[] = [];
const outboxes: Outbox[] = [];

beforeAll(async () => {
  storeDir = mkdtempSync(join(tmpdir(), 'sb-outbox-store-'));
  store = (await openStore(testConfig({ SIGNALBASE_DATA_DIR: storeDir }), log, { migrate: true })) as SqlStore;
});
afterAll(async () => {
  for (const o of outboxes) await o.stop(100);
  await store?.close();
  for (const d of [storeDir, ...dirs]) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-outbox-'));
  dirs.push(d);
  return d;
}

function outbox(over: Partial<OutboxOptions> & Pick<OutboxOptions, 'store' | 'dataDir'>): Outbox {
  const o = new Outbox({ log, backoff: { baseMs: 1, capMs: 4 }, ...over });
  outboxes.push(o);
  o.start();
  return o;
}

const preds = (symbol: string, n: number, from = 0) => Array.from({ length: n }, (_, i) => crashPrediction(symbol, from + i));

async function rowsOf(symbol: string): Promise<PredictionRecord[]> {
  return store.readPredictions({ symbols: [symbol], limit: 100_000 });
}

async function sampleIds(symbol: string): Promise<string[]> {
  const { rows } = await store.client.query<{ id: string }>(
    `SELECT prediction_id AS id FROM "${store.info.schema}".ml_training_samples WHERE symbol = $1 ORDER BY prediction_id`,
    [symbol],
  );
  return rows.map((r) => r.id);
}

async function counter(c: typeof outboxWriteFailures | typeof outboxDeadLetters, labels: Record<string, string>): Promise<number> {
  const m = await c.get();
  return m.values.filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k as never] === val)).reduce((a, v) => a + v.value, 0);
}

describe('outbox', () => {
  it('applies writes in batches of at most maxBatch, one store call per operation group', async () => {
    const flaky = new FlakyStore(store);
    const o = outbox({ store: flaky, dataDir: dataDir(), maxBatch: 500 });
    const ps = preds('OB1/BTC', 1200);
    for (const p of ps) o.insertPredictions([p]);
    expect(await o.drained(20_000)).toBe(true);
    expect(flaky.calls.map((c) => [c.op, c.rows.length])).toEqual([
      ['insertPredictions', 500],
      ['insertPredictions', 500],
      ['insertPredictions', 200],
    ]);
    expect((await rowsOf('OB1/BTC')).map((r) => r.id).sort()).toEqual(ps.map((p) => p.id).sort());
    expect(o.health()).toMatchObject({ state: 'idle', draining: true, depth: 0, degraded: false });
  });

  it('a store failing 3 times with a retryable error: retried with backoff, then everything lands exactly once', async () => {
    const flaky = new FlakyStore(store);
    flaky.failNext = 9; // three attempts of the batch's three calls
    const before = await counter(outboxWriteFailures, { op: 'insertPredictions', kind: 'retryable' });
    const o = outbox({ store: flaky, dataDir: dataDir() });
    const ps = preds('OB2/BTC', 40);
    o.insertPredictions(ps);
    o.resolvePredictions(ps.slice(0, 10).map(outcomeFor));
    o.insertTrainingSamples(ps.slice(0, 10).map((p) => sample({ predictionId: p.id, symbol: 'OB2/BTC', candleTime: p.candleTime })));
    expect(await o.drained(20_000)).toBe(true);
    expect(flaky.refused).toBe(9);
    expect((await counter(outboxWriteFailures, { op: 'insertPredictions', kind: 'retryable' })) - before).toBe(3);
    const rows = await rowsOf('OB2/BTC');
    expect(rows).toHaveLength(40);
    expect(rows.filter((r) => r.actualOutcome !== null).map((r) => r.id).sort()).toEqual(ps.slice(0, 10).map((p) => p.id).sort());
    expect(await sampleIds('OB2/BTC')).toEqual(ps.slice(0, 10).map((p) => p.id).sort());
    expect(o.health()).toMatchObject({ draining: true, degraded: false, failingSince: null });
    expect(o.health().lastError).toMatchObject({ code: 'STORE_UNREACHABLE', kind: 'retryable' });
  });

  it('while the store is down: enqueue keeps working, health is degraded; afterwards it drains, nothing lost', async () => {
    const flaky = new FlakyStore(store);
    flaky.down = true;
    const o = outbox({ store: flaky, dataDir: dataDir(), degradedAfterMs: 0 });
    const ps = preds('OB3/BTC', 30);
    for (const p of ps.slice(0, 15)) o.insertPredictions([p]);
    await vi.waitFor(() => expect(o.health()).toMatchObject({ degraded: true, draining: false, state: 'retrying' }));
    for (const p of ps.slice(15)) o.insertPredictions([p]); // the signal path is never blocked
    expect(o.health().depth).toBe(30);
    expect(o.health().oldestAgeSeconds).toBeGreaterThanOrEqual(0);
    flaky.down = false;
    expect(await o.drained(20_000)).toBe(true);
    expect((await rowsOf('OB3/BTC')).map((r) => r.id).sort()).toEqual(ps.map((p) => p.id).sort());
    expect(o.health()).toMatchObject({ degraded: false, draining: true, depth: 0 });
  });

  it('a row the database refuses for good goes to the dead-letter file; the others land', async () => {
    const dir = dataDir();
    const before = await counter(outboxDeadLetters, { op: 'insertPredictions' });
    const o = outbox({ store, dataDir: dir });
    const ps = preds('OB4/BTC', 20);
    // processing_time_ms has CHECK (>= 0 AND < 1 day): the plan's Date.now() in that column is refused
    const poison = { ...ps[7]!, processingTimeMs: Date.now() };
    o.insertPredictions([...ps.slice(0, 7), poison, ...ps.slice(8)]);
    expect(await o.drained(20_000)).toBe(true);
    const landed = (await rowsOf('OB4/BTC')).map((r) => r.id).sort();
    expect(landed).toEqual(ps.filter((_, i) => i !== 7).map((p) => p.id).sort());
    expect((await counter(outboxDeadLetters, { op: 'insertPredictions' })) - before).toBe(1);
    const dead = readFileSync(join(dir, 'outbox', 'dead-letter.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ op: 'insertPredictions', data: { id: poison.id }, error: { code: 'STORE_CONSTRAINT' } });
    expect(o.health().deadLetters).toBe(1);
  });

  it('a non-retryable error that is not about a row (missing table) is retried, never dead-lettered', async () => {
    const flaky = new FlakyStore(store);
    flaky.makeError = undefinedTable;
    flaky.failNext = 6; // enough that halving down to single rows would dead-letter one if it were treated as poison
    const dir = dataDir();
    const o = outbox({ store: flaky, dataDir: dir });
    const ps = preds('OB5/BTC', 5);
    o.insertPredictions(ps);
    expect(await o.drained(20_000)).toBe(true);
    expect(flaky.refused).toBe(6);
    expect(await rowsOf('OB5/BTC')).toHaveLength(5);
    expect(existsSync(join(dir, 'outbox', 'dead-letter.ndjson'))).toBe(false);
  });

  it('holds at most maxInMemory entries; the rest is read back from the journal, in order per operation', async () => {
    const flaky = new FlakyStore(store);
    flaky.down = true;
    const o = outbox({ store: flaky, dataDir: dataDir(), maxInMemory: 5, maxBatch: 3 });
    const candle = (i: number, close: number): Candle => ({ symbol: 'OB6/BTC', timeframe: '5m', openTime: T0 + (i % 10) * STEP, open: 1, high: 3, low: 0.5, close, volume: i });
    const sent: Candle[] = [];
    for (let i = 0; i < 40; i++) {
      const c = candle(i, 1 + i / 100); // each open time written four times; the last write must win
      sent.push(c);
      o.upsertCandles([c]);
      expect(o.health().inMemory).toBeLessThanOrEqual(5);
    }
    const ps = preds('OB6/BTC', 12);
    for (const p of ps) o.insertPredictions([p]);
    await vi.waitFor(() => expect(flaky.refused).toBeGreaterThan(2));
    expect(o.health()).toMatchObject({ depth: 52, inMemory: 5 });
    flaky.down = false;
    expect(await o.drained(20_000)).toBe(true);
    expect(flaky.calls.every((c) => c.rows.length <= 3)).toBe(true);
    expect(flaky.rowsOf('upsertCandles')).toEqual(sent);
    expect(flaky.rowsOf('insertPredictions')).toEqual(ps);
    const stored = await store.readCandles({ symbol: 'OB6/BTC', timeframe: '5m' });
    expect(stored.map((c) => c.close)).toEqual(sent.slice(30).map((c) => c.close));
  });

  it('refuses a second outbox on the same journal, and writes outside start()..stop()', async () => {
    const dir = dataDir();
    const o = outbox({ store, dataDir: dir });
    expect(() => new Outbox({ store, dataDir: dir, log }).start()).toThrow(StoreError);
    await o.stop();
    await o.stop(); // idempotent
    expect(() => o.insertPredictions(preds('OB7/BTC', 1))).toThrow(OutboxStateError);
    expect(() => new Outbox({ store, dataDir: dir, log }).insertPredictions(preds('OB7/BTC', 1))).toThrow(OutboxStateError);
  });
});

describe('outbox restart', () => {
  it('writes applied but not acknowledged when the process stopped are replayed at start without duplicates', async () => {
    const dir = dataDir();
    const dying = new FlakyStore(store);
    dying.hangAfterApply = true; // the database applied the batch, the answer never came back
    const first = outbox({ store: dying, dataDir: dir });
    const ps = preds('OR1/BTC', 30);
    first.insertPredictions(ps);
    first.resolvePredictions(ps.map(outcomeFor));
    first.insertTrainingSamples(ps.map((p) => sample({ predictionId: p.id, symbol: 'OR1/BTC', candleTime: p.candleTime })));
    await vi.waitFor(() => expect(dying.calls).toHaveLength(3)); // the batch's three calls, applied
    await first.stop(20); // gives up on the hung call: nothing acknowledged
    expect(first.health().depth).toBe(90);
    const afterCrash = await rowsOf('OR1/BTC');
    expect(afterCrash).toHaveLength(30);

    const replay = new FlakyStore(store);
    const second = outbox({ store: replay, dataDir: dir });
    expect(await second.drained(20_000)).toBe(true);
    expect(replay.rowsOf('insertPredictions')).toHaveLength(30); // replayed, not skipped
    const rows = await rowsOf('OR1/BTC');
    expect(rows.map((r) => r.id).sort()).toEqual(ps.map((p) => p.id).sort());
    const expected = new Map(ps.map((p, i) => [p.id, outcomeFor(p, i)]));
    for (const r of rows) expect([r.actualOutcome, r.exitPrice]).toEqual([expected.get(r.id)!.outcome, expected.get(r.id)!.exitPrice]);
    expect(await sampleIds('OR1/BTC')).toEqual(ps.map((p) => p.id).sort());
  });

  it('a prediction and its outcome in one batch: inserted resolved, and the outcome still lands on a row stored earlier without it', async () => {
    const flaky = new FlakyStore(store);
    const o = outbox({ store: flaky, dataDir: dataDir() });
    const fresh = preds('OM1/BTC', 6);
    const stored = preds('OM2/BTC', 6);
    await store.insertPredictions(stored); // e.g. by an attempt that died before its outcome batch
    const all = [...fresh, ...stored];
    const outcomes = all.map(outcomeFor);
    o.insertPredictions(all);
    o.resolvePredictions(outcomes);
    expect(await o.drained(20_000)).toBe(true);
    // One batch: the prediction rows went out with their outcomes, the outcomes too.
    expect(flaky.calls.map((c) => c.op)).toEqual(['insertPredictions', 'resolvePredictions']);
    expect((flaky.rowsOf('insertPredictions') as PredictionRecord[]).map((p) => p.actualOutcome)).toEqual(outcomes.map((x) => x.outcome));
    const rows = new Map([...(await rowsOf('OM1/BTC')), ...(await rowsOf('OM2/BTC'))].map((r) => [r.id, r]));
    expect(rows.size).toBe(12);
    for (const want of outcomes) {
      const got = rows.get(want.predictionId)!;
      expect([got.actualOutcome, got.exitPrice, got.actualProfitLoss, got.outcomeTime]).toEqual([want.outcome, want.exitPrice, want.profitLossPct, want.outcomeTime]);
    }
  });

  it('replaying the same writes twice leaves the same rows (every write is idempotent on its key)', async () => {
    const ps = preds('OR2/BTC', 8);
    const candles: Candle[] = ps.map((p, i) => ({ symbol: 'OR2/BTC', timeframe: '5m', openTime: p.candleTime, open: 1, high: 2, low: 0.5, close: 1 + i / 10, volume: 3 }));
    const snapshot = async () => {
      const q = (sql: string) => store.client.query(sql, ['OR2/BTC']).then((r) => r.rows);
      const s = `"${store.info.schema}"`;
      return {
        predictions: await q(`SELECT * FROM ${s}.ml_predictions WHERE symbol = $1 ORDER BY id`),
        samples: await q(`SELECT * FROM ${s}.ml_training_samples WHERE symbol = $1 ORDER BY prediction_id`),
        candles: await q(`SELECT * FROM ${s}.ml_candles WHERE symbol = $1 ORDER BY open_time`),
      };
    };
    const writeAll = async () => {
      await store.upsertCandles(candles);
      await store.insertPredictions(ps);
      await store.resolvePredictions(ps.map(outcomeFor));
      await store.insertTrainingSamples(ps.map((p) => sample({ predictionId: p.id, symbol: 'OR2/BTC', candleTime: p.candleTime })));
    };
    await writeAll();
    const once = await snapshot();
    await writeAll();
    expect(await snapshot()).toEqual(once);
    expect(once.predictions).toHaveLength(8);
    expect(once.samples).toHaveLength(8);
    expect(once.candles).toHaveLength(8);
  });

  it('kill -9 while journaling: a restart applies every write the dead process accepted, once', async () => {
    const dir = dataDir();
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./crash-child.ts', import.meta.url)), dir, 'OR3/BTC'], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    const closed = new Promise<void>((r) => child.on('close', () => r()));
    await vi.waitFor(() => expect(out.split('\n').length).toBeGreaterThan(300), { timeout: 30_000, interval: 20 });
    child.kill('SIGKILL');
    await closed;
    expect(child.signalCode).toBe('SIGKILL');
    const acknowledged = out.split('\n').filter((l) => /^\d+$/.test(l)).length;
    expect(acknowledged).toBeGreaterThan(300);

    const o = outbox({ store, dataDir: dir, maxInMemory: 100 });
    expect(await o.drained(30_000)).toBe(true);
    const landed = (await rowsOf('OR3/BTC')).map((r) => r.id);
    const expected = preds('OR3/BTC', acknowledged).map((p) => p.id);
    // every enqueue that returned is there; at most the one in progress when the signal hit is extra
    expect(landed.length === acknowledged || landed.length === acknowledged + 1).toBe(true);
    expect(new Set(landed).size).toBe(landed.length);
    expect(landed.sort()).toEqual(expect.arrayContaining(expected));
    const extra = landed.filter((id) => !expected.includes(id));
    expect(extra).toEqual(extra.length ? [crashPrediction('OR3/BTC', acknowledged).id] : []);
  });
});
