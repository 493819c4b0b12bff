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
import { SignalbaseError } from '../../domain/errors.ts';
import type { OutcomeRecord, PredictionRecord } from '../../domain/prediction.ts';
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
 * Applies the batch: one store call per operation group, all made at once (operations.ts says why
 * none has to wait for another), so a batch costs one store round trip. With the embedded store in
 * a worker thread a round trip also waits for a turn of the busy main thread: a replay's batches
 * otherwise left the worker idle half the time. Resolves when every entry is applied or
 * dead-lettered; rejects on a retryable or systemic failure (the caller backs off and retries the
 * whole batch: what was applied already is applied again, harmlessly).
 */
export async function applyBatch(store: OutboxStore, batch: readonly Pending[], hooks: BatchHooks): Promise<void> {
  const rowOf = rowsWithOutcomes(batch);
  const groups = APPLY_ORDER.map((op) => [op, batch.filter((p) => p.entry.op === op && !p.dead)] as const).filter(([, g]) => g.length > 0);
  // Every group settles before a failure is passed on, so a retry never overlaps a call still running.
  const settled = await Promise.allSettled(groups.map(([op, group]) => applyGroup(store, op, group, hooks, rowOf)));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/**
 * A prediction whose outcome is in the same batch (a replay, or an outbox catching up, resolves
 * signals faster than batches are taken) is inserted with the outcome already set. So the outcome
 * does not depend on its UPDATE running after the INSERT (the calls of a batch overlap), and the
 * UPDATE finds the row resolved and writes nothing instead of writing it a second time. The
 * outcome entry is still applied, for a prediction stored earlier without it (a batch retried or
 * replayed after a crash, with other boundaries). The journaled entry itself is never changed.
 */
function rowsWithOutcomes(batch: readonly Pending[]): (p: Pending) => unknown {
  const outcomes = new Map<string, OutcomeRecord>();
  for (const p of batch) {
    if (p.entry.op === 'resolvePredictions' && !p.dead) {
      const o = p.entry.data as OutcomeRecord;
      if (!outcomes.has(o.predictionId)) outcomes.set(o.predictionId, o); // the first outcome wins, as in the UPDATE
    }
  }
  if (outcomes.size === 0) return (p) => p.entry.data;
  return (p) => {
    if (p.entry.op !== 'insertPredictions') return p.entry.data;
    const row = p.entry.data as PredictionRecord;
    const o = outcomes.get(row.id);
    if (!o || (row.actualOutcome !== undefined && row.actualOutcome !== null)) return row;
    return { ...row, actualOutcome: o.outcome, exitPrice: o.exitPrice, actualProfitLoss: o.profitLossPct, outcomeTime: o.outcomeTime };
  };
}

async function applyGroup(store: OutboxStore, op: OutboxOp, group: Pending[], hooks: BatchHooks, rowOf: (p: Pending) => unknown): Promise<void> {
  let error: unknown;
  try {
    await applyRows(store, op, group.map(rowOf) as OpRows[typeof op][]);
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
  await applyGroup(store, op, group.slice(0, mid), hooks, rowOf);
  await applyGroup(store, op, group.slice(mid), hooks, rowOf);
}
