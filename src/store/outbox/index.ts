/** The outbox: every store write of the daemon, journaled, batched, retried, never blocking. */
export { Outbox, type OutboxOptions, type OutboxHealth, type OutboxWriter } from './outbox.ts';
export { failureKind, type FailureKind } from './batch.ts';
export { APPLY_ORDER, type OutboxOp, type OpRows, type OutboxStore } from './operations.ts';
export { OutboxJournalError, OutboxStateError } from './errors.ts';
export type { JournalEntry, JournalPart } from './journal.ts';
