import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../../src/domain/candle.ts';
import { backoffDelay } from '../../../src/domain/timing.ts';
import { Journal } from '../../../src/store/outbox/journal.ts';
import { silentLogger } from '../../helpers/pg.ts';

const log = silentLogger();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-journal-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const candle = (i: number): Candle => ({ symbol: 'J/BTC', timeframe: '5m', openTime: i * 300_000, open: 1, high: 2, low: 0.5, close: 1 + i / 1000, volume: i });
const segments = (dir: string) => readdirSync(dir).filter((n) => n.startsWith('journal-')).sort();

describe('outbox journal', () => {
  it('numbers entries 1, 2, 3, ... across segments and reads them back in order, in pages', () => {
    const dir = tempDir();
    const j = Journal.open({ dir, log, segmentBytes: 400 });
    for (let i = 0; i < 10; i++) j.append('upsertCandles', 1000 + i, [candle(3 * i), candle(3 * i + 1), candle(3 * i + 2)]);
    expect(j.lastSeq).toBe(30);
    expect(segments(dir).length).toBeGreaterThan(3);
    const all = j.read(1, 100);
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(all.map((e) => (e.data as Candle).openTime)).toEqual(Array.from({ length: 30 }, (_, i) => i * 300_000));
    const paged: number[] = [];
    for (let from = 1; from <= 30; ) {
      const page = j.read(from, 7);
      paged.push(...page.map((e) => e.seq));
      from = page[page.length - 1]!.seq + 1;
    }
    expect(paged).toEqual(all.map((e) => e.seq));
    // entries appended after a read are found by the next read from the same place
    j.append('upsertCandles', 2000, [candle(99)]);
    expect(j.read(31, 10).map((e) => e.seq)).toEqual([31]);
    j.close();
  });

  it('acks into a checkpoint, deletes applied segments, and continues numbering after reopening', () => {
    const dir = tempDir();
    const j = Journal.open({ dir, log, segmentBytes: 400 });
    for (let i = 0; i < 20; i++) j.append('upsertCandles', i, [candle(i)]);
    const before = segments(dir).length;
    j.ack(15);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({ acked: 15 });
    expect(segments(dir).length).toBeLessThan(before);
    j.close();

    const k = Journal.open({ dir, log, segmentBytes: 400 });
    expect(k.acked).toBe(15);
    expect(k.lastSeq).toBe(20);
    expect(k.read(16, 100).map((e) => e.seq)).toEqual([16, 17, 18, 19, 20]);
    expect(k.append('upsertCandles', 0, [candle(50)])).toEqual({ first: 21, last: 21 });
    k.ack(21);
    // everything applied: only the (small) active segment may remain
    expect(segments(dir).length).toBeLessThanOrEqual(1);
    k.close();
    const m = Journal.open({ dir, log });
    expect(m.append('upsertCandles', 0, [candle(51)]).first).toBe(22);
    m.close();
  });

  it('cuts a torn last line left by a crash mid-write and reuses its sequence number', () => {
    const dir = tempDir();
    const j = Journal.open({ dir, log });
    j.append('upsertCandles', 1, [candle(1), candle(2)]);
    j.close();
    const seg = join(dir, segments(dir).at(-1)!);
    appendFileSync(seg, '{"seq":3,"op":"upsertCandles","at":1,"data":{"symb');
    const k = Journal.open({ dir, log });
    expect(k.lastSeq).toBe(2);
    expect(k.append('upsertCandles', 2, [candle(3)])).toEqual({ first: 3, last: 3 });
    expect(k.read(1, 10).map((e) => [e.seq, (e.data as Candle).openTime])).toEqual([
      [1, 300_000],
      [2, 600_000],
      [3, 900_000],
    ]);
    k.close();
  });

  it('replays everything when the checkpoint is unreadable (writes are idempotent)', () => {
    const dir = tempDir();
    const j = Journal.open({ dir, log });
    j.append('upsertCandles', 1, [candle(1), candle(2), candle(3)]);
    j.ack(2);
    j.close();
    writeFileSync(join(dir, 'checkpoint.json'), '{"ack');
    const k = Journal.open({ dir, log });
    expect(k.acked).toBe(0);
    expect(k.read(1, 10).map((e) => e.seq)).toEqual([1, 2, 3]);
    k.close();
  });
});

describe('backoff', () => {
  it('doubles from 0.5 s to the 30 s cap, jittered within [d/2, d]', () => {
    expect(backoffDelay(0, {}, () => 0)).toBe(250);
    expect(backoffDelay(0, {}, () => 1)).toBe(500);
    expect(backoffDelay(3, {}, () => 1)).toBe(4000);
    expect(backoffDelay(20, {}, () => 1)).toBe(30_000);
    expect(backoffDelay(20, {}, () => 0)).toBe(15_000);
    expect(backoffDelay(1000, {}, () => 0.5)).toBe(22_500);
  });
});
