/**
 * The store's SQL functions (sql/20261122001000_store_rpc.sql) behind one small seam, so the code
 * that builds their arguments and reads their results (src/store/queries) is written once and runs
 * over SQL (SqlStore: `SELECT schema.fn(name => $1::type)`) or over PostgREST (SupabaseStore:
 * POST /rest/v1/rpc/fn with a JSON object of named arguments).
 *
 * Arguments must be JSON-safe: PostgREST only ever sees JSON, so SqlStore is given the same values
 * (non-finite numbers go as the strings 'Infinity' / 'NaN', see jsonNumber; bytes as base64).
 */
import { quoteIdent, type Row, type SqlExecutor } from './sql-client.ts';

export type RpcArgs = Record<string, unknown>;

export interface Rpc {
  /** A function returning one value (a scalar; undefined for void). */
  value<T>(fn: RpcName, args?: RpcArgs): Promise<T>;
  /** A set-returning function (RETURNS SETOF / TABLE): its rows. */
  rows<R = Row>(fn: RpcName, args?: RpcArgs): Promise<R[]>;
}

/** Every function the store calls, with its named parameters' SQL types (in declaration order). */
export const RPC_SIGNATURES = {
  sb_ping: {},
  sb_upsert_candles: { p_rows: 'jsonb' },
  sb_prune_candles: { p_before_ms: 'double precision' },
  sb_list_candle_series: {},
  sb_insert_predictions: { p_rows: 'jsonb' },
  sb_resolve_predictions: { p_rows: 'jsonb' },
  sb_read_predictions: { p_query: 'jsonb' },
  sb_insert_training_samples: { p_rows: 'jsonb' },
  sb_count_training_samples: {},
  sb_create_model: { p_model: 'jsonb' },
  sb_update_model: { p_version: 'text', p_patch: 'jsonb' },
  sb_activate_model: { p_version: 'text' },
  sb_put_artifacts: { p_rows: 'jsonb' },
  sb_get_artifacts: { p_version: 'text' },
  sb_set_weights: { p_weights: 'jsonb' },
  sb_insert_performance: { p_row: 'jsonb' },
  sb_insert_drift: { p_row: 'jsonb' },
  sb_enqueue_retrain: { p_source: 'text', p_reason: 'text', p_force: 'boolean' },
  sb_claim_retrain: { p_worker: 'text' },
  sb_finish_retrain: { p_id: 'uuid', p_status: 'text', p_model_version: 'text', p_error: 'text' },
  sb_revoke_api_key: { p_id: 'uuid' },
  sb_insert_generation_log: { p_row: 'jsonb' },
  sb_try_lease: { p_name: 'text', p_holder: 'text', p_ttl_ms: 'integer' },
  sb_release_lease: { p_name: 'text', p_holder: 'text' },
  // From sql/20261204001000_retention.sql.
  sb_retention_step: { p_query: 'jsonb' },
  // From sql/20261204001200_live_performance.sql.
  sb_refresh_live_performance: {},
  // From sql/20261122001100_migration_adoption.sql.
  sb_applied_migrations: {},
  // From sql/20261122000300_functions.sql.
  create_ml_api_key: { p_key_name: 'text', p_key_type: 'text', p_rate_limit: 'integer', p_expires_days: 'integer', p_created_by: 'uuid' },
  validate_ml_api_key: { api_key_text: 'text' },
  // From sql/20261204000110_key_limits.sql.
  sb_reserve_key_usage: { p_key_id: 'uuid', p_at_ms: 'double precision', p_want: 'integer', p_limit: 'integer' },
  sb_put_setting: { p_name: 'text', p_value: 'jsonb' },
  get_ml_dashboard_data: {},
  // From sql/20261204000200_ml_backtests.sql and sql/20261204000210_signal_scorecard.sql.
  sb_insert_backtest: { p_row: 'jsonb' },
  get_signal_scorecard: { p_model_version: 'text', p_symbol: 'text', p_days: 'integer' },
  // From sql/20261206000200_list_backtests.sql.
  sb_list_backtests: { p_limit: 'integer' },
} as const satisfies Record<string, Record<string, string>>;

export type RpcName = keyof typeof RPC_SIGNATURES;

/**
 * A number as JSON can carry it: JSON has no Infinity or NaN (JSON.stringify would send null), so
 * those go as the strings float8's input function reads.
 */
export function jsonNumber(v: number | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  return Number.isFinite(v) ? v : String(v);
}

/** The SQL text calling `fn` with the given named arguments as $1.., and the parameters. */
export function sqlCall(schema: string, fn: RpcName, args: RpcArgs = {}): { call: string; params: unknown[] } {
  const types: Record<string, string> = RPC_SIGNATURES[fn];
  const params: unknown[] = [];
  const named: string[] = [];
  for (const [name, value] of Object.entries(args)) {
    if (value === undefined) continue;
    const type = types[name];
    if (!type) throw new Error(`${fn} has no parameter ${name}`);
    params.push(type === 'jsonb' && value !== null ? JSON.stringify(value) : value);
    named.push(`${name} => $${params.length}::${type}`);
  }
  return { call: `${quoteIdent(schema)}.${quoteIdent(fn)}(${named.join(', ')})`, params };
}

/** The functions over a SqlExecutor (SqlStore's connection, which owns the tables). */
export class SqlRpc implements Rpc {
  constructor(
    private readonly db: SqlExecutor,
    private readonly schema: string,
  ) {}

  async value<T>(fn: RpcName, args?: RpcArgs): Promise<T> {
    const { call, params } = sqlCall(this.schema, fn, args);
    const { rows } = await this.db.query<{ v: T }>(`SELECT ${call} AS v`, params);
    return rows[0]!.v;
  }

  async rows<R = Row>(fn: RpcName, args?: RpcArgs): Promise<R[]> {
    const { call, params } = sqlCall(this.schema, fn, args);
    const { rows } = await this.db.query<R>(`SELECT * FROM ${call}`, params);
    return rows;
  }
}
