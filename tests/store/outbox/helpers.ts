/**
 * Failure injection for outbox tests: a wrapper around the REAL store that can refuse calls the way
 * an unreachable or broken database does (typed StoreErrors, as src/store/pg-errors.ts produces),
 * or apply a write and then never answer (the process dies before it hears back). Every call that
 * reaches the real store is recorded, so tests can see batches and order.
 */
import { StoreError } from '../../../src/errors.ts';
import type { OpRows, OutboxOp, OutboxStore } from '../../../src/store/outbox/index.ts';
import type { Store } from '../../../src/store/store.ts';

export interface Call {
  op: OutboxOp;
  rows: unknown[];
}

export const unreachable = () =>
  new StoreError('STORE_UNREACHABLE', 'cannot reach Postgres at 127.0.0.1:5432/test: connect ECONNREFUSED', {
    retryable: true,
    context: { sqlState: undefined },
  });

export const undefinedTable = () =>
  new StoreError('STORE_QUERY_FAILED', 'relation "ml_predictions" does not exist', { retryable: false, context: { sqlState: '42P01' } });

export class FlakyStore implements OutboxStore {
  /** Refuse this many next calls. */
  failNext = 0;
  /** Refuse every call while true. */
  down = false;
  makeError: () => Error = unreachable;
  /** Apply, then never resolve (a process that died mid-call). */
  hangAfterApply = false;
  readonly calls: Call[] = [];
  refused = 0;

  constructor(private readonly real: Pick<Store, OutboxOp>) {}

  private async call<O extends OutboxOp>(op: O, rows: readonly OpRows[O][], apply: () => Promise<unknown>): Promise<never | number | void> {
    if (this.down || this.failNext > 0) {
      if (this.failNext > 0) this.failNext--;
      this.refused++;
      throw this.makeError();
    }
    const result = await apply();
    this.calls.push({ op, rows: [...rows] });
    if (this.hangAfterApply) await new Promise(() => undefined);
    return result as number | void;
  }

  upsertCandles(rows: readonly OpRows['upsertCandles'][]) {
    return this.call('upsertCandles', rows, () => this.real.upsertCandles(rows)) as Promise<number>;
  }
  insertPredictions(rows: readonly OpRows['insertPredictions'][]) {
    return this.call('insertPredictions', rows, () => this.real.insertPredictions(rows)) as Promise<number>;
  }
  resolvePredictions(rows: readonly OpRows['resolvePredictions'][]) {
    return this.call('resolvePredictions', rows, () => this.real.resolvePredictions(rows)) as Promise<number>;
  }
  insertTrainingSamples(rows: readonly OpRows['insertTrainingSamples'][]) {
    return this.call('insertTrainingSamples', rows, () => this.real.insertTrainingSamples(rows)) as Promise<number>;
  }
  insertGenerationLog(row: OpRows['insertGenerationLog']) {
    return this.call('insertGenerationLog', [row], () => this.real.insertGenerationLog(row)) as Promise<void>;
  }

  rowsOf(op: OutboxOp): unknown[] {
    return this.calls.filter((c) => c.op === op).flatMap((c) => c.rows);
  }
}
