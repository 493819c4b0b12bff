/**
 * The append-only JSON-lines file under both journals (src/files/jsonl-file.ts), and the two
 * recoveries built on it that the journals' own tests do not reach: the outbox journal cutting a
 * tick group whose last entry is missing, and the sink queue's compaction.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import { JsonlFile, recoverLines, replaceFile, type LineKind } from '../../src/files/jsonl-file.ts';
import { SinkJournal } from '../../src/signals/sinks/queue-journal.ts';
import { Journal } from '../../src/store/outbox/journal.ts';
import { silentLogger } from '../helpers/pg.ts';

const log = silentLogger();
const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sb-jsonl-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Records are {"n":…}; {"n":…,"open":true} is inside a group; anything else is unreadable. */
const kindOf = (line: string): LineKind => {
  try {
    const v = JSON.parse(line) as { n?: unknown; open?: boolean };
    if (typeof v.n !== 'number') return 'bad';
    return v.open ? 'open' : 'record';
  } catch {
    return 'bad';
  }
};

describe('JsonlFile and recoverLines', () => {
  it('appends whole lines, keeps its size, and reads back every record after a reopen', () => {
    const path = join(tempDir(), 'q.ndjson');
    const f = new JsonlFile(path);
    f.open();
    f.append(Buffer.from('{"n":1}\n{"n":2}\n'));
    f.append(Buffer.from('{"n":3}\n'));
    f.close();
    f.close(); // idempotent
    expect(f.size).toBe(statSync(path).size);
    const seen: string[] = [];
    const r = recoverLines(path, (l) => (seen.push(l), kindOf(l)));
    expect(seen).toEqual(['{"n":1}', '{"n":2}', '{"n":3}']);
    expect(r).toEqual({ size: f.size, cutBytes: 0, cutLines: 0, skipped: 0 });
  });

  it('refuses to append while closed', () => {
    const f = new JsonlFile(join(tempDir(), 'q.ndjson'));
    expect(() => f.append(Buffer.from('{"n":1}\n'))).toThrow(/not open/);
  });

  it('cuts a torn last line and trailing garbage, counts them, and skips garbage before a record', () => {
    const path = join(tempDir(), 'q.ndjson');
    writeFileSync(path, '{"n":1}\nnot json\n{"n":2}\n{"x":1}\n{"n":3,"ha');
    const visited: string[] = [];
    const r = recoverLines(path, (l) => (visited.push(l), kindOf(l)));
    expect(readFileSync(path, 'utf8')).toBe('{"n":1}\nnot json\n{"n":2}\n');
    expect(r).toEqual({ size: 25, cutBytes: 18, cutLines: 2, skipped: 1 });
    // the torn fragment has no newline: it is never handed to the journal
    expect(visited).not.toContain('{"n":3,"ha');
    // the next append starts on a line boundary
    const f = new JsonlFile(path, r.size);
    f.open();
    f.append(Buffer.from('{"n":4}\n'));
    f.close();
    expect(readFileSync(path, 'utf8').split('\n').filter(Boolean).map(kindOf)).toEqual(['record', 'bad', 'record', 'record']);
  });

  it('cuts a group whose last line is missing, whole, and keeps one that is complete', () => {
    const path = join(tempDir(), 'q.ndjson');
    writeFileSync(path, '{"n":1,"open":true}\n{"n":2}\n{"n":3,"open":true}\n{"n":4,"open":true}\n');
    const r = recoverLines(path, kindOf);
    expect(readFileSync(path, 'utf8')).toBe('{"n":1,"open":true}\n{"n":2}\n');
    expect(r.cutLines).toBe(2);
  });

  it('treats a missing file as empty', () => {
    expect(recoverLines(join(tempDir(), 'none.ndjson'), kindOf)).toEqual({ size: 0, cutBytes: 0, cutLines: 0, skipped: 0 });
  });

  it('replaceFile leaves the new text and no temp file', () => {
    const dir = tempDir();
    const path = join(dir, 'checkpoint.json');
    writeFileSync(path, '{"acked":1}');
    replaceFile(path, '{"acked":2}');
    expect(readFileSync(path, 'utf8')).toBe('{"acked":2}');
    expect(() => statSync(`${path}.tmp`)).toThrow();
  });
});

const candle = (i: number): Candle => ({ symbol: 'J/BTC', timeframe: '5m', openTime: i * 300_000, open: 1, high: 2, low: 0.5, close: 1, volume: i });

describe('the journals on it', () => {
  it('outbox journal: a tick group cut short by a crash is dropped whole at open, and its sequence numbers are given again', () => {
    const dir = tempDir();
    const j = Journal.open({ dir, log });
    j.append('upsertCandles', 1, [candle(1)]);
    expect(j.appendGroup(2, [['upsertCandles', [candle(2), candle(3), candle(4)]]])).toEqual({ first: 2, last: 4 });
    j.close();
    // A crash after the group's first two entries reached the file.
    const seg = join(dir, 'journal-0000000000000001.ndjson');
    const lines = readFileSync(seg, 'utf8').split('\n');
    writeFileSync(seg, `${lines.slice(0, 3).join('\n')}\n`);
    const k = Journal.open({ dir, log });
    expect(k.lastSeq).toBe(1);
    expect(k.read(1, 10).map((e) => e.seq)).toEqual([1]);
    expect(k.append('upsertCandles', 3, [candle(5)])).toEqual({ first: 2, last: 2 });
    k.close();
  });

  it('sink queue: once large and mostly delivered it is compacted to the pending events, which survive a reopen', () => {
    const dir = tempDir();
    const { journal } = SinkJournal.open(dir, log);
    const payload = 'x'.repeat(4096);
    const all = journal.append(1, Array.from({ length: 1100 }, (_, i) => ({ type: 'model' as const, id: `e-${i}`, data: { payload } })));
    journal.done(all.slice(0, 1000).map((e) => e.seq));
    const pending = all.slice(1000);
    const path = join(dir, 'queue.ndjson');
    const before = statSync(path).size;
    journal.maybeCompact(pending);
    expect(statSync(path).size).toBeLessThan(before / 5);
    journal.append(2, [{ type: 'model', id: 'after', data: {} }]);
    journal.close();
    const again = SinkJournal.open(dir, log);
    expect(again.pending.map((e) => e.event.id)).toEqual([...pending.map((e) => e.event.id), 'after']);
    expect(again.pending.at(-1)!.seq).toBe(1101);
    again.journal.close();
    // a torn line after the compaction is cut, the rest kept
    appendFileSync(path, '{"seq":1102,"at":3,"ev');
    const third = SinkJournal.open(dir, log);
    expect(third.pending).toHaveLength(101);
    third.journal.close();
  });
});
