/**
 * An append-only file of JSON lines: the base of signalbase's two journals, the outbox journal
 * (store/outbox/journal.ts, one file per segment) and each sink's delivery queue
 * (signals/sinks/queue-journal.ts). It knows lines and bytes; the journals know what a line means.
 *
 * - `append` is one synchronous write(2) loop on an open descriptor, then fsync if asked. Without
 *   fsync a kill -9 loses nothing (the page cache holds the data) but a power loss may take the last
 *   few seconds. If the write fails part-way the file is cut back to its size before the call, so no
 *   half line is left behind; the error is rethrown for the journal to name.
 * - `recoverLines` runs at open: it hands every complete line to the journal, which says whether
 *   it is a record, part of a group that only its last line completes, or unreadable. The file is
 *   cut after the last record, so a torn last line (a crash during a write), trailing garbage or an
 *   unfinished group is gone and the next append starts on a line boundary; unreadable lines before
 *   the last record are counted and left (the journal skips them).
 * - `replaceFile` writes a temp file and renames it over the target: a checkpoint or a compaction
 *   is either the old file or the new one, never half of each.
 *
 * Files are created with the process's umask: 0600 under the daemon (store/private-dir.ts).
 * This module imports nothing of the project, so the engine and the adapters can both build on it.
 */
import { closeSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';

const NL = 0x0a;

export class JsonlFile {
  #fd: number | null = null;

  /**
   * @param path the file; renaming it (`path = …`) is allowed while it is closed.
   * @param size its size in bytes when this object takes it over (after `recoverLines`).
   */
  constructor(
    public path: string,
    public size = 0,
    private readonly fsync = false,
  ) {}

  get isOpen(): boolean {
    return this.#fd !== null;
  }

  /** Opens the file for appending (creating it); a no-op when it is open. */
  open(): void {
    this.#fd ??= openSync(this.path, 'a');
  }

  /** Appends whole lines with one write (and an fsync if asked); on failure cuts back to the last complete line and rethrows. */
  append(buf: Buffer): void {
    if (this.#fd === null) throw new Error(`${this.path} is not open`);
    let written = 0;
    try {
      while (written < buf.length) written += writeSync(this.#fd, buf, written, buf.length - written);
      if (this.fsync) fsyncSync(this.#fd);
    } catch (err) {
      try {
        ftruncateSync(this.#fd, this.size);
      } catch {
        // the file may now end in a torn line; recoverLines cuts it at the next open
      }
      throw err;
    }
    this.size += buf.length;
  }

  /** Closes the descriptor; idempotent. */
  close(): void {
    if (this.#fd === null) return;
    try {
      closeSync(this.#fd);
    } catch {
      // already closed
    }
    this.#fd = null;
  }
}

/**
 * What a journal says of one complete line: `record` (kept: the file may end after it), `open` (read
 * fine, but inside a group whose last line is still to come: the file may not end here) or `bad`
 * (unreadable: skipped if a record follows, cut off otherwise).
 */
export type LineKind = 'record' | 'open' | 'bad';

export interface Recovery {
  /** Bytes kept: the file ends after its last record. */
  size: number;
  /** Bytes cut off after the last record (0 when the file ended cleanly). */
  cutBytes: number;
  /** Lines cut off: unreadable ones, an unfinished group, a torn last line (blank lines not counted). */
  cutLines: number;
  /** Unreadable lines before the last record, left in place (blank lines not counted). */
  skipped: number;
}

/**
 * Reads `path` (a missing file is empty), calls `visit` on each complete line in order, and cuts
 * the file after the last line `visit` called a record. Blank lines are neither records nor counted.
 */
export function recoverLines(path: string, visit: (line: string) => LineKind): Recovery {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { size: 0, cutBytes: 0, cutLines: 0, skipped: 0 };
    throw err;
  }
  let good = 0;
  let skipped = 0;
  let unreadable = 0; // since the last record
  let start = 0;
  for (let nl = buf.indexOf(NL); nl !== -1; start = nl + 1, nl = buf.indexOf(NL, start)) {
    const line = buf.toString('utf8', start, nl);
    if (line.trim() === '') continue;
    const kind = visit(line);
    if (kind === 'record') {
      good = nl + 1;
      skipped += unreadable;
      unreadable = 0;
    } else if (kind === 'bad') unreadable++;
  }
  if (good === buf.length) return { size: good, cutBytes: 0, cutLines: 0, skipped };
  const cutLines = buf
    .toString('utf8', good)
    .split('\n')
    .filter((l) => l.trim() !== '').length;
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, good);
  } finally {
    closeSync(fd);
  }
  return { size: good, cutBytes: buf.length - good, cutLines, skipped };
}

/** Replaces `path` with `text` atomically: a temp file beside it, renamed over it. */
export function replaceFile(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
