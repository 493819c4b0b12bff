/**
 * The outbox journal: every accepted write, on disk, before enqueue returns.
 *
 * Layout under <dir>:
 *   journal-<first seq, 16 digits>.ndjson   segments, one JSON entry per line:
 *                                           {"seq":N,"op":"insertPredictions","at":ms,"data":{...}}
 *   checkpoint.json                         {"acked":N}: every entry with seq <= N has been applied
 *
 * Invariants: sequence numbers increase by one per entry, across segments and restarts; only the
 * last segment is written; an entry is acked only after the store applied it; the checkpoint is
 * written (temp file + rename) before any segment is deleted, and a segment is deleted only once
 * all its entries are acked.
 *
 * Durability: appends are synchronous write(2) calls on an open descriptor, without fsync
 * (files/jsonl-file.ts, the base it shares with the sinks' queues). A
 * kill -9 loses nothing (the data is in the page cache); a power loss or kernel crash can lose the
 * last few seconds of entries and leave a torn last line. A torn or unparseable line at the end of
 * the last segment is cut off at open, and so is a grouped append (one tick's predictions, outcomes,
 * samples and candles: appendGroup) whose last entry is missing, so a tick lands whole or not at all
 * (a tick half journaled would replay its outcomes without their samples, and the restarted engine,
 * finding the prediction resolved, would never write them); elsewhere an unreadable line is skipped. Both are counted
 * (outbox_journal_corrupt_lines_total) and logged. fsync per entry would cost a disk flush per
 * signal; the store writes are idempotent and the feed can be replayed, so we take this trade-off.
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JsonlFile, recoverLines, replaceFile } from '../../files/jsonl-file.ts';
import type { Logger } from '../../log.ts';
import { OutboxJournalError } from './errors.ts';
import { outboxJournalCorrupt } from './metrics.ts';
import { isOutboxOp, type OpRows, type OutboxOp } from './operations.ts';

export interface JournalEntry<O extends OutboxOp = OutboxOp> {
  seq: number;
  op: O;
  /** Enqueue time, epoch ms. */
  at: number;
  data: OpRows[O];
  /**
   * Last sequence of the append this entry was written in, when that append held more than one
   * entry (a tick's predictions, outcomes, samples and candles). An append is all or nothing: at
   * open, a tail that ends before its `end` is cut off whole.
   */
  end?: number;
}

/** One operation's rows inside a grouped append. */
export type JournalPart = { [O in OutboxOp]: readonly [O, readonly OpRows[O][]] }[OutboxOp];

/** One segment file; `first` is the sequence of its first entry. */
class Segment extends JsonlFile {
  constructor(
    public first: number,
    path: string,
    size = 0,
  ) {
    super(path, size);
  }
}

const SEGMENT_RE = /^journal-(\d{16})\.ndjson$/;
const CHUNK = 1 << 16;
const NL = 0x0a;

const segmentName = (first: number) => `journal-${String(first).padStart(16, '0')}.ndjson`;

function parseEntry(line: string): JournalEntry | null {
  try {
    const e = JSON.parse(line) as Partial<JournalEntry>;
    if (typeof e.seq !== 'number' || !Number.isInteger(e.seq) || !isOutboxOp(e.op) || typeof e.at !== 'number' || e.data === undefined) return null;
    if (e.end !== undefined && !(Number.isInteger(e.end) && e.end >= e.seq)) return null;
    return e as JournalEntry;
  } catch {
    return null;
  }
}

export interface JournalOptions {
  dir: string;
  log: Logger;
  /** Start a new segment once the current one holds this many bytes. Default 8 MiB. */
  segmentBytes?: number;
}

export class Journal {
  /** In order; only the last is appended to (and open). */
  private readonly segments: Segment[] = [];
  private ackedSeq = 0;
  private last = 0;
  private cursor: { first: number; offset: number; next: number } | null = null;
  private readonly log: Logger;
  private readonly segmentBytes: number;
  private readonly checkpointPath: string;

  private constructor(private readonly dir: string, opts: JournalOptions) {
    this.log = opts.log;
    this.segmentBytes = opts.segmentBytes ?? 8 * 1024 * 1024;
    this.checkpointPath = join(dir, 'checkpoint.json');
  }

  /** Opens (creating) the journal in `dir`: reads the checkpoint, cuts a torn tail, finds the next sequence. */
  static open(opts: JournalOptions): Journal {
    const j = new Journal(opts.dir, opts);
    try {
      mkdirSync(opts.dir, { recursive: true });
      j.ackedSeq = j.readCheckpoint();
      for (const name of readdirSync(opts.dir).sort()) {
        const m = SEGMENT_RE.exec(name);
        if (m) j.segments.push(new Segment(Number(m[1]), join(opts.dir, name), statSync(join(opts.dir, name)).size));
      }
      const tail = j.segments.at(-1);
      j.last = tail ? j.repairTail(tail) : j.ackedSeq;
      if (j.last < j.ackedSeq) j.last = j.ackedSeq;
      j.dropAcked();
    } catch (err) {
      j.close();
      if (err instanceof OutboxJournalError) throw err;
      throw new OutboxJournalError(`cannot open the outbox journal in ${opts.dir}: ${(err as Error).message}`, { dir: opts.dir }, err);
    }
    return j;
  }

  /** Highest applied sequence. */
  get acked(): number {
    return this.ackedSeq;
  }

  /** Highest journaled sequence (== acked when nothing is pending). */
  get lastSeq(): number {
    return this.last;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Appends one entry per row with one write; returns the first and last sequence given. */
  append<O extends OutboxOp>(op: O, at: number, rows: readonly OpRows[O][]): { first: number; last: number } {
    return this.appendGroup(at, [[op, rows] as JournalPart]);
  }

  /**
   * Appends every part's rows, in order, with one write, as one all-or-nothing group: a crash or a
   * full disk part-way leaves either all of them (once open() repaired the tail) or none.
   */
  appendGroup(at: number, parts: readonly JournalPart[]): { first: number; last: number } {
    const first = this.last + 1;
    const count = parts.reduce((n, [, rows]) => n + rows.length, 0);
    if (count === 0) return { first, last: this.last };
    const end = count > 1 ? first + count - 1 : undefined;
    let text = '';
    let seq = first;
    for (const [op, rows] of parts) {
      for (const data of rows) text += `${JSON.stringify(end === undefined ? { seq: seq++, op, at, data } : { seq: seq++, op, at, data, end })}\n`;
    }
    const buf = Buffer.from(text, 'utf8');
    let seg = this.segments.at(-1);
    if (!seg || seg.size >= this.segmentBytes) seg = this.roll(first);
    else seg.open(); // first append after open: continue the last segment
    try {
      seg.append(buf); // no half entry is left behind
    } catch (err) {
      throw new OutboxJournalError(`cannot append to the outbox journal ${seg.path}: ${(err as Error).message}; free space or fix permissions on the data directory`, { path: seg.path }, err);
    }
    this.last = first + count - 1;
    return { first, last: this.last };
  }

  /** Up to `max` entries with seq >= from, in order. Fewer than `max` means the end was reached. */
  read(from: number, max: number): JournalEntry[] {
    const out: JournalEntry[] = [];
    if (max <= 0 || from > this.last) return out;
    let pos = this.cursor && this.cursor.next === from ? this.cursor : null;
    if (!pos || !this.segments.some((s) => s.first === pos!.first)) {
      const seg = [...this.segments].reverse().find((s) => s.first <= from) ?? this.segments[0];
      if (!seg) return out;
      pos = { first: seg.first, offset: 0, next: from };
    }
    let idx = this.segments.findIndex((s) => s.first === pos!.first);
    let offset = pos.offset;
    while (idx < this.segments.length && out.length < max) {
      const seg = this.segments[idx]!;
      offset = this.readSegment(seg, offset, from, max, out);
      if (out.length >= max || idx === this.segments.length - 1) break;
      idx++;
      offset = 0;
    }
    const seg = this.segments[Math.min(idx, this.segments.length - 1)]!;
    const next = out.length > 0 ? out[out.length - 1]!.seq + 1 : from;
    this.cursor = { first: seg.first, offset, next };
    return out;
  }

  /** Records that every entry up to `seq` is applied; deletes segments that are fully applied. */
  ack(seq: number): void {
    if (seq <= this.ackedSeq) return;
    this.ackedSeq = seq;
    try {
      replaceFile(this.checkpointPath, JSON.stringify({ acked: seq }));
    } catch (err) {
      // A stale checkpoint only means more is replayed at next start (idempotently); segments stay
      // until a checkpoint covering them is on disk.
      this.log.warn({ err, path: this.checkpointPath }, 'cannot write the outbox checkpoint; applied entries may be replayed at next start');
      return;
    }
    this.dropAcked();
  }

  close(): void {
    this.segments.at(-1)?.close();
  }

  private readCheckpoint(): number {
    let text: string;
    try {
      text = readFileSync(this.checkpointPath, 'utf8');
    } catch {
      return 0;
    }
    try {
      const acked = (JSON.parse(text) as { acked?: unknown }).acked;
      if (typeof acked === 'number' && Number.isInteger(acked) && acked >= 0) return acked;
    } catch {
      // fall through
    }
    this.log.warn({ path: this.checkpointPath }, 'outbox checkpoint unreadable; replaying every journaled entry (writes are idempotent)');
    return 0;
  }

  /** Scans the last segment, cuts a torn, unparseable or incomplete tail, returns its last sequence. */
  private repairTail(seg: Segment): number {
    let lastSeq = seg.first - 1;
    const r = recoverLines(seg.path, (line) => {
      const e = parseEntry(line);
      if (!e) return 'bad';
      if (e.seq < (e.end ?? e.seq)) return 'open'; // inside a grouped append: complete only once its last entry is read
      lastSeq = e.seq;
      return 'record';
    });
    seg.size = r.size;
    if (r.cutBytes > 0) {
      const dropped = r.cutLines;
      outboxJournalCorrupt.inc(dropped);
      this.log.warn(
        { path: seg.path, bytes: r.cutBytes, lines: dropped },
        `outbox journal ${seg.path} ends in ${dropped} torn, unreadable or incomplete entr${dropped === 1 ? 'y' : 'ies'} (a crash or a full disk during a write); cut off, the feed replays that tick`,
      );
    }
    if (r.skipped > 0) this.log.warn({ path: seg.path }, 'outbox journal segment had unreadable lines before its end; they will be skipped');
    return lastSeq;
  }

  private roll(first: number): Segment {
    this.close();
    const tail = this.segments.at(-1);
    // Reuse an empty last segment rather than leaving it behind.
    let seg: Segment;
    if (tail && tail.size === 0) {
      const path = join(this.dir, segmentName(first));
      if (tail.path !== path) renameSync(tail.path, path);
      tail.first = first;
      tail.path = path;
      seg = tail;
    } else {
      seg = new Segment(first, join(this.dir, segmentName(first)));
      this.segments.push(seg);
    }
    seg.open();
    return seg;
  }

  /** Deletes segments whose every entry is acked (the active one too, once it is full). */
  private dropAcked(): void {
    while (this.segments.length > 0) {
      const seg = this.segments[0]!;
      const next = this.segments[1];
      const lastInSeg = next ? next.first - 1 : this.last;
      const active = !next;
      if (lastInSeg > this.ackedSeq) break;
      if (active && seg.size < this.segmentBytes) break;
      if (active) seg.close();
      try {
        unlinkSync(seg.path);
      } catch (err) {
        this.log.warn({ err, path: seg.path }, 'cannot delete an applied outbox journal segment');
        break;
      }
      this.segments.shift();
      if (this.cursor?.first === seg.first) this.cursor = null;
    }
  }

  /** Reads complete lines of `seg` from `offset`, appending entries with seq >= from; returns the new offset. */
  private readSegment(seg: Segment, offset: number, from: number, max: number, out: JournalEntry[]): number {
    if (offset >= seg.size) return offset;
    const fd = openSync(seg.path, 'r');
    try {
      let carry = Buffer.alloc(0);
      let pos = offset;
      let consumed = offset;
      while (pos < seg.size && out.length < max) {
        const chunk = Buffer.allocUnsafe(Math.min(CHUNK, seg.size - pos));
        const n = readSync(fd, chunk, 0, chunk.length, pos);
        if (n <= 0) break;
        pos += n;
        const data = carry.length ? Buffer.concat([carry, chunk.subarray(0, n)]) : chunk.subarray(0, n);
        let start = 0;
        while (out.length < max) {
          const nl = data.indexOf(NL, start);
          if (nl === -1) break;
          const e = parseEntry(data.toString('utf8', start, nl));
          consumed += nl + 1 - start;
          start = nl + 1;
          if (!e) {
            outboxJournalCorrupt.inc();
            this.log.warn({ path: seg.path, offset: consumed }, 'unreadable outbox journal line skipped');
            continue;
          }
          if (e.seq >= from) out.push(e);
        }
        carry = Buffer.from(data.subarray(start));
        if (out.length >= max) break;
      }
      return consumed;
    } finally {
      closeSync(fd);
    }
  }
}
