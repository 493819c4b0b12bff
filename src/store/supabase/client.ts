/**
 * The transport under the Supabase REST store: the service-role supabase-js client, and one way to
 * call it (`SupabaseRest`) that maps every failure to a StoreError (errors.ts) and retries what is
 * retryable with capped, jittered exponential backoff. A failure that may have reached the
 * database (no answer, 502) is retried only for idempotent calls.
 */
import { createClient, type SupabaseClient } from '@supabase/supabase-js';
import type { WebSocketLikeConstructor } from '@supabase/realtime-js';
import WebSocket from 'ws';
import { backoffDelay, sleep } from '../../domain/timing.ts';
import type { Rpc, RpcArgs, RpcName } from '../rpc.ts';
import type { Row } from '../sql-client.ts';
import { toSupabaseStoreError, type PostgrestFailure } from './errors.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the schema is chosen at run time
export type ServiceRoleClient = SupabaseClient<any, any, string>;

/**
 * A supabase-js client for the service-role key, as a server uses it: no session to keep or
 * refresh. Shared by the REST store and the Storage artifact store (storage.ts).
 */
export function serviceRoleClient(url: string, serviceRoleKey: string, db?: { schema: string; timeout: number }): ServiceRoleClient {
  return createClient(url, serviceRoleKey, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    ...(db ? { db } : {}),
    // Never connected (REST and Storage only), but supabase-js builds a Realtime client at
    // creation and Node 20 has no global WebSocket.
    realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
  });
}

export interface RetryPolicy {
  /** Tries in all, the first included. */
  attempts: number;
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, baseMs: 200, maxMs: 5_000 };

/** Calls that change something each time they run: not retried when the first try may have run. */
const NOT_IDEMPOTENT = new Set<RpcName>([
  'sb_create_model',
  'sb_insert_drift',
  'sb_enqueue_retrain',
  'sb_claim_retrain',
  'create_ml_api_key',
  'validate_ml_api_key',
]);

/** The delay before retry number `n` (0-based): base * 2^n, capped, with the upper half jittered. */
export function retryDelay(n: number, p: RetryPolicy): number {
  return backoffDelay(n, { baseMs: p.baseMs, capMs: p.maxMs });
}

/** What every supabase-js call resolves to (it never throws: failures come back as `error`). */
export interface PostgrestResult<T> {
  data: T | null;
  error: PostgrestFailure['error'] | null;
  status: number;
}

/** The generic query builder, typed just as far as this module uses it. */
export interface Query extends PromiseLike<PostgrestResult<unknown>> {
  eq(col: string, v: unknown): Query;
  gt(col: string, v: unknown): Query;
  gte(col: string, v: unknown): Query;
  lt(col: string, v: unknown): Query;
  lte(col: string, v: unknown): Query;
  order(col: string, o: { ascending: boolean }): Query;
  limit(n: number): Query;
  range(from: number, to: number): Query;
  retry(enabled: boolean): Query;
}

/** One supabase-js client used the one way the store wants: mapped errors, bounded retries. */
export class SupabaseRest {
  readonly rpc: Rpc;

  constructor(
    private readonly client: ServiceRoleClient,
    /** For messages: the host, never the key. */
    readonly host: string,
    private readonly retry: RetryPolicy,
    readonly maxRowsPerRead: number,
  ) {
    this.rpc = { value: (fn, args) => this.rpcValue(fn, args), rows: (fn, args) => this.rpcRows(fn, args) };
  }

  /** Runs one supabase-js call, retrying what is retryable; throws the mapped StoreError. */
  async request<T>(what: string, idempotent: boolean, call: () => PromiseLike<PostgrestResult<T>>): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const res = await call();
      if (!res.error) return res.data;
      const err = toSupabaseStoreError({ status: res.status, error: res.error }, what, this.host);
      const mayRetry = err.retryable && (idempotent || err.context.ambiguous !== true);
      if (!mayRetry || attempt + 1 >= this.retry.attempts) throw err;
      await sleep(retryDelay(attempt, this.retry));
    }
  }

  /** POST /rest/v1/rpc/<fn>; retried after an ambiguous failure only when the call is idempotent. */
  private callRpc(fn: RpcName, args: RpcArgs): Promise<unknown> {
    return this.request(`rpc/${fn}`, !NOT_IDEMPOTENT.has(fn), () => this.client.rpc(fn, args).retry(false));
  }

  async rpcValue<T>(fn: RpcName, args: RpcArgs = {}): Promise<T> {
    return ((await this.callRpc(fn, args)) ?? undefined) as T;
  }

  async rpcRows<R = Row>(fn: RpcName, args: RpcArgs = {}): Promise<R[]> {
    const data = await this.callRpc(fn, args);
    if (data === null || data === undefined) return [];
    return (Array.isArray(data) ? data : [data]) as R[];
  }

  /** GET /rest/v1/<table>?select=<columns>&<filters>; at most maxRowsPerRead rows per call. */
  async select<R = Row>(table: string, columns: string, build: (q: Query) => Query = (q) => q): Promise<R[]> {
    const data = await this.request(table, true, () => build(this.client.from(table).select(columns) as unknown as Query).retry(false));
    return (data ?? []) as R[];
  }

  /** Every row of an ordered select, page by page (offset), for the lists that have no cursor. */
  async selectAll<R = Row>(table: string, columns: string, build: (q: Query) => Query, limit = Number.POSITIVE_INFINITY): Promise<R[]> {
    const out: R[] = [];
    while (out.length < limit) {
      const want = Math.min(this.maxRowsPerRead, limit - out.length);
      const page = await this.select<R>(table, columns, (q) => build(q).range(out.length, out.length + want - 1));
      out.push(...page);
      if (page.length < want) break;
    }
    return out;
  }
}
