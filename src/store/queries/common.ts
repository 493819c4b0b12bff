/**
 * What every query module shares: schema-qualified names (the store's SQL never depends on the
 * connection's search_path, which a transaction pooler may not keep) and conversions at the edge
 * between SQL values and the engine's epoch milliseconds and plain numbers.
 */
import { StoreError } from '../../errors.ts';
import type { Rpc } from '../rpc.ts';
import { quoteIdent, type SqlClient } from '../sql-client.ts';

export interface Names {
  schema: string;
  candles: string;
  predictions: string;
  models: string;
  artifacts: string;
  weights: string;
  drift: string;
  retrain: string;
  keys: string;
}

export function namesFor(schema: string): Names {
  const q = quoteIdent(schema);
  return {
    schema,
    candles: `${q}.ml_candles`,
    predictions: `${q}.ml_predictions`,
    models: `${q}.ml_models`,
    artifacts: `${q}.ml_model_artifacts`,
    weights: `${q}.ml_indicator_weights`,
    drift: `${q}.ml_model_drift`,
    retrain: `${q}.ml_retrain_requests`,
    keys: `${q}.ml_api_keys`,
  };
}

/** What the writes and non-trivial reads need: the SQL functions, over SQL or over PostgREST. */
export interface RpcCtx {
  rpc: Rpc;
}

/** SqlStore's context: the functions plus the connection for its direct (trivial) reads. */
export interface Ctx extends RpcCtx {
  db: SqlClient;
  n: Names;
}

/** SQL turning an epoch-millisecond expression into timestamptz, exactly (no float seconds). */
export const tsFromMs = (expr: string) => `(timestamptz 'epoch' + (${expr})::float8 * interval '1 millisecond')`;

export function toMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'string') return Date.parse(v);
  return Number(v);
}

export const toMsOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : toMs(v));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (v: string): boolean => UUID.test(v);

export function notFound(what: string, id: string): StoreError {
  return new StoreError('STORE_NOT_FOUND', `${what} ${id} does not exist`, { context: { id } });
}

/** The last occurrence of each key wins, so one multi-row upsert never touches a row twice. */
export function dedupeBy<T>(rows: readonly T[], key: (r: T) => string): T[] {
  const byKey = new Map<string, T>();
  for (const r of rows) byKey.set(key(r), r);
  return [...byKey.values()];
}
