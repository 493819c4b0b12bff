/**
 * Applying one batch (a prefix of the queue) to the store, and what a failure means.
 *
 * Failure kinds:
 * - retryable: a StoreError marked retryable (connection lost, server shutting down, serialization
 *   conflict). The batch is retried after a backoff.
 * - systemic: any other SignalbaseError that is not about a row (authentication, missing table or
 *   column, ...). Retrying cannot help until an operator acts, but dropping rows would lose data,
 *   so it is retried too, and health() turns degraded.
 * - poison: SQLSTATE class 22 (data exception) or 23 (constraint violation), or an error that is
 *   not a SignalbaseError at all (a serialization bug on one row). The group is split in halves
 *   until the failing entry is alone; it goes to the dead-letter file and the rest proceeds.
 */
import { SignalbaseError } from '../../errors.ts';
import { sqlStateOf } from '../pg-errors.ts';
import type { JournalEntry } from './journal.ts';
import { outboxApplied, outboxWriteFailures } from './metrics.ts';
import { APPLY_ORDER, applyRows, type OpRows, type OutboxOp, type OutboxStore } from './operations.ts';

export type FailureKind = 'retryable' | 'systemic' | 'poison';

export function failureKind(err: unknown): FailureKind {
  if (err instanceof SignalbaseError) {
    if (err.retryable) return 'retryable';
    const state = sqlStateOf(err) ?? '';
    return state.startsWith('22') || state.startsWith('23') ? 'poison' : 'systemic';
  }
  return 'poison';
}

/** A queued entry; `dead` once moved to the dead-letter file (skipped if the batch is retried). */
export interface Pending {
  entry: JournalEntry;
  dead: boolean;
}

export interface BatchHooks {
  onFailure(err: unknown, kind: FailureKind, op: OutboxOp, rows: number): void;
  onPoison(p: Pending, err: unknown): void;
}

/**
 * Applies the batch, grouped by operation in APPLY_ORDER (operations.ts). Resolves when every entry
 * is applied or dead-lettered; rejects on a retryable or systemic failure (the caller backs off and
 * retries the whole batch: what was applied already is applied again, harmlessly).
 */
export async function applyBatch(store: OutboxStore, batch: readonly Pending[], hooks: BatchHooks): Promise<void> {
  for (const op of APPLY_ORDER) {
    const group = batch.filter((p) => p.entry.op === op && !p.dead);
    if (group.length > 0) await applyGroup(store, op, group, hooks);
  }
}

async function applyGroup(store: OutboxStore, op: OutboxOp, group: Pending[], hooks: BatchHooks): Promise<void> {
  let error: unknown;
  try {
    await applyRows(store, op, group.map((p) => p.entry.data) as OpRows[typeof op][]);
    outboxApplied.inc({ op }, group.length);
    return;
  } catch (err) {
    const kind = failureKind(err);
    outboxWriteFailures.inc({ op, kind });
    hooks.onFailure(err, kind, op, group.length);
    if (kind !== 'poison') throw err;
    error = err;
  }
  if (group.length === 1) {
    hooks.onPoison(group[0]!, error);
    return;
  }
  const mid = group.length >>> 1;
  await applyGroup(store, op, group.slice(0, mid), hooks);
  await applyGroup(store, op, group.slice(mid), hooks);
}
