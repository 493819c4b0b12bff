/**
 * The writes that go through the outbox: one row type per Store write, each idempotent on its
 * natural key (store.ts), so applying an entry twice (a replay after a crash) changes nothing.
 *
 * A batch is a prefix of the queue. Its entries are grouped by operation, each group one multi-row
 * Store call; the calls are made in APPLY_ORDER without waiting for one another (batch.ts).
 * Reordering and overlapping operations inside a prefix is safe: the one dependency, an outcome on
 * its prediction, is carried by the prediction row itself when both are in the batch (batch.ts
 * rowsWithOutcomes), and an outcome whose prediction came in an earlier batch finds it stored
 * (batches are acknowledged in order). Samples name their prediction by id only (no foreign key).
 * Within one operation the enqueue order is kept (a later candle correction wins).
 */
import type { Candle } from '../../domain/candle.ts';
import type { OutcomeRecord, PredictionRecord } from '../../domain/prediction.ts';
import type { Store } from '../store.ts';
import type { GenerationLogRecord, TrainingSampleRecord } from '../types.ts';

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
