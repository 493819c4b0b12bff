/**
 * Entries the store refused for good (a row-specific error), kept in <outbox>/dead-letter.ndjson
 * with the error, one JSON object a line, so an operator can inspect, fix and re-insert them.
 * The file only grows by such refusals, which are counted (outbox_dead_letters_total) and logged.
 */
import { appendFileSync } from 'node:fs';
import type { JournalEntry } from './journal.ts';
import { outboxDeadLetters } from './metrics.ts';

export class DeadLetters {
  constructor(readonly path: string) {}

  write(entry: JournalEntry, error: { code: string; message: string } | null): void {
    const line = JSON.stringify({ ...entry, error: error && { code: error.code, message: error.message }, dead_at: new Date().toISOString() });
    appendFileSync(this.path, `${line}\n`);
    outboxDeadLetters.inc({ op: entry.op });
  }
}
