/**
 * The writes that go through the outbox: one row type per Store write, each idempotent on its
 * natural key (store.ts), so applying an entry twice (a replay after a crash) changes nothing.
 *
 * A batch is a prefix of the queue. Its entries are grouped by operation and the groups applied in
 * APPLY_PHASES, each group as one multi-row Store call. Reordering across operations inside a prefix
 * is safe because the only dependency between them points the same way: an outcome or sample
 * refers to a prediction enqueued before it, and predictions are applied before outcomes and
 * samples. Within one operation the enqueue order is kept (a later candle correction wins).
 */
import type { Candle } from '../../ingest/candle.ts';
import type { Store } from '../store.ts';
import type { GenerationLogRecord, OutcomeRecord, PredictionRecord, TrainingSampleRecord } from '../types.ts';

export interface OpRows {
  upsertCandles: Candle;
  insertPredictions: PredictionRecord;
  resolvePredictions: OutcomeRecord;
  insertTrainingSamples: TrainingSampleRecord;
  insertGenerationLog: GenerationLogRecord;
}

export type OutboxOp = keyof OpRows;

/** Every operation, in the order a batch applies them. */
export const APPLY_ORDER: readonly OutboxOp[] = [
  'upsertCandles',
  'insertPredictions',
  'resolvePredictions',
  'insertTrainingSamples',
  'insertGenerationLog',
];

/**
 * APPLY_ORDER as phases whose groups do not depend on each other and may run at once: outcomes
 * and samples wait for the predictions they refer to; candles, predictions and generation logs
 * refer to nothing in the batch.
 */
export const APPLY_PHASES: readonly (readonly OutboxOp[])[] = [
  ['upsertCandles', 'insertPredictions', 'insertGenerationLog'],
  ['resolvePredictions', 'insertTrainingSamples'],
];

export function isOutboxOp(v: unknown): v is OutboxOp {
  return typeof v === 'string' && (APPLY_ORDER as readonly string[]).includes(v);
}

/** The part of the Store the outbox writes through. */
export type OutboxStore = Pick<Store, OutboxOp>;

/** One Store round trip for many rows of one operation (generation logs: one call per row). */
export async function applyRows<O extends OutboxOp>(store: OutboxStore, op: O, rows: readonly OpRows[O][]): Promise<void> {
  if (rows.length === 0) return;
  switch (op) {
    case 'upsertCandles':
      await store.upsertCandles(rows as readonly Candle[]);
      return;
    case 'insertPredictions':
      await store.insertPredictions(rows as readonly PredictionRecord[]);
      return;
    case 'resolvePredictions':
      await store.resolvePredictions(rows as readonly OutcomeRecord[]);
      return;
    case 'insertTrainingSamples':
      await store.insertTrainingSamples(rows as readonly TrainingSampleRecord[]);
      return;
    case 'insertGenerationLog':
      for (const row of rows as readonly GenerationLogRecord[]) await store.insertGenerationLog(row);
      return;
  }
}
