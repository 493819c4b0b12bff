/**
 * A sink's delivery queue on disk: <dataDir>/sinks/<name>/queue.ndjson, one line per record:
 *   {"seq":N,"at":ms,"event":{type,id,data}}   an event accepted for delivery
 *   {"done":N}                                 event N left the queue (delivered, dead-lettered or dropped)
 * Open replays the file: the events without a `done` line are the queue, in order, and the ids of
 * all of them are what the sink has already taken (see QueuedSink's dedupe). So an event
 * published before a kill -9 is delivered after the restart; one delivered just before the kill but
 * whose `done` line did not reach the file is sent again (receivers dedupe on the event id).
 *
 * The file is a files/jsonl-file.ts JsonlFile, the base it shares with the outbox journal, and has
 * its durability: synchronous write(2) without fsync survives kill -9 (the page cache holds it) but
 * a power loss may take the last few seconds; `fsync: true` flushes after each append. A torn or
 * unreadable last line (a crash during a write) is cut off at open and logged; an unreadable line
 * elsewhere is skipped and logged.
 *
 * The file is compacted (pending events rewritten to a temp file, renamed over it) once it holds
 * more than COMPACT_BYTES and at least three quarters of its records are finished.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { SignalbaseError } from '../../domain/errors.ts';
import { JsonlFile, recoverLines, replaceFile } from '../../files/jsonl-file.ts';
import type { Logger } from '../../log.ts';
import type { SinkEvent } from './sink.ts';

export interface QueuedEvent {
  seq: number;
  /** Epoch ms the event was accepted. */
  at: number;
  event: SinkEvent;
}

export class SinkJournalError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super('SINK_JOURNAL', message, { context, cause });
  }
}

const COMPACT_BYTES = 4 * 1024 * 1024;

type Line = { kind: 'event'; entry: QueuedEvent } | { kind: 'done'; seq: number };

function parseLine(text: string): Line | null {
  try {
    const v = JSON.parse(text) as { seq?: unknown; at?: unknown; event?: { type?: unknown; id?: unknown }; done?: unknown };
    if (typeof v.done === 'number') return { kind: 'done', seq: v.done };
    if (typeof v.seq === 'number' && typeof v.at === 'number' && v.event && typeof v.event.type === 'string' && typeof v.event.id === 'string') {
      return { kind: 'event', entry: v as QueuedEvent };
    }
  } catch {
    // fall through
  }
  return null;
}

export class SinkJournal {
  private readonly file: JsonlFile;
  /**
   * The bytes the compaction rule weighs: the file's size, except that a compaction that failed
   * restarts the count (so it is retried once as much has been written again, not at every call).
   */
  private weighed = 0;
  private records = 0;
  private finished = 0;
  private nextSeq = 1;

  private constructor(path: string, private readonly log: Logger, fsync: boolean) {
    this.file = new JsonlFile(path, 0, fsync);
  }

  private get path(): string {
    return this.file.path;
  }

  /** Opens (creating) the journal in `dir` and returns it with the events still to deliver, in order. */
  static open(dir: string, log: Logger, opts: { fsync?: boolean } = {}): { journal: SinkJournal; pending: QueuedEvent[]; seen: string[] } {
    const j = new SinkJournal(join(dir, 'queue.ndjson'), log, opts.fsync ?? false);
    try {
      mkdirSync(dir, { recursive: true });
      const seen: string[] = [];
      const pending = j.replay(seen);
      j.file.open();
      return { journal: j, pending, seen };
    } catch (err) {
      j.close();
      if (err instanceof SinkJournalError) throw err;
      throw new SinkJournalError(`cannot open the sink journal in ${dir}: ${(err as Error).message}; fix permissions or free space on SIGNALBASE_DATA_DIR`, { dir }, err);
    }
  }

  /** Journals events (one write); returns them with their sequence numbers. */
  append(at: number, events: readonly SinkEvent[]): QueuedEvent[] {
    const out = events.map((event) => ({ seq: this.nextSeq++, at, event }));
    this.write(out.map((e) => JSON.stringify(e)).join('\n') + '\n', out.length);
    return out;
  }

  /** Records that these events left the queue. */
  done(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.write(seqs.map((s) => `{"done":${s}}`).join('\n') + '\n', seqs.length);
    this.finished += seqs.length * 2;
  }

  /** Rewrites the file with only `pending` when it has grown large and is mostly finished records. */
  maybeCompact(pending: readonly QueuedEvent[]): void {
    if (this.weighed < COMPACT_BYTES || this.finished < this.records * 0.75) return;
    const text = pending.map((e) => JSON.stringify(e) + '\n').join('');
    try {
      replaceFile(this.path, text);
      this.file.close(); // its descriptor is the file renamed over
      this.file.size = Buffer.byteLength(text);
    } catch (err) {
      this.log.warn({ err, path: this.path }, 'cannot compact the sink journal; it keeps growing until the next try');
    }
    this.file.open();
    this.weighed = Buffer.byteLength(text);
    this.records = pending.length;
    this.finished = 0;
  }

  close(): void {
    this.file.close();
  }

  private write(text: string, records: number): void {
    if (!this.file.isOpen) throw new SinkJournalError(`the sink journal ${this.path} is closed`, { path: this.path });
    const buf = Buffer.from(text, 'utf8');
    try {
      this.file.append(buf); // no half line is left behind
    } catch (err) {
      throw new SinkJournalError(`cannot append to the sink journal ${this.path}: ${(err as Error).message}`, { path: this.path }, err);
    }
    this.weighed += buf.length;
    this.records += records;
  }

  /** Reads the file: returns the pending events and pushes every event id it holds onto `seen`. */
  private replay(seen: string[]): QueuedEvent[] {
    const pending = new Map<number, QueuedEvent>();
    const r = recoverLines(this.path, (text) => {
      const line = parseLine(text);
      if (!line) return 'bad';
      this.records++;
      if (line.kind === 'event') {
        pending.set(line.entry.seq, line.entry);
        seen.push(line.entry.event.id);
        this.nextSeq = Math.max(this.nextSeq, line.entry.seq + 1);
      } else {
        pending.delete(line.seq);
        this.finished += 2;
      }
      return 'record';
    });
    if (r.skipped > 0) this.log.warn({ path: this.path, lines: r.skipped }, 'unreadable sink journal lines skipped');
    if (r.cutBytes > 0) this.log.warn({ path: this.path, bytes: r.cutBytes, lines: r.cutLines }, 'sink journal ends in a torn or unreadable line (crash during a write); cut off');
    this.file.size = r.size;
    this.weighed = r.size;
    return [...pending.values()].sort((a, b) => a.seq - b.seq);
  }
}
