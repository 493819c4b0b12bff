/** Outbox failures that are not store failures: its own state and its journal on disk. */
import { SignalbaseError } from '../../domain/errors.ts';

/** enqueue before start() or after stop(): a wiring bug in the caller. */
export class OutboxStateError extends SignalbaseError {
  constructor(code: 'OUTBOX_NOT_STARTED' | 'OUTBOX_STOPPED', message: string) {
    super(code, message);
  }
}

/**
 * The journal could not be written or read (disk full, permissions). The entry was NOT accepted:
 * nothing half-written stays in the journal. Free space or fix permissions on SIGNALBASE_DATA_DIR.
 */
export class OutboxJournalError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown>, cause?: unknown) {
    super('OUTBOX_JOURNAL_FAILED', message, { context, cause });
  }
}
