/**
 * The functions' own calls to the store: PostgREST RPCs with the service role (the key the
 * platform gives every function as SUPABASE_SERVICE_ROLE_KEY), never a daemon key. The caller's
 * identity is what auth.ts verified; the SQL functions are in sql/20261204000120_edge_functions.sql.
 *
 * Each caller is limited by its own identity: SB_FUNCTION_RATE_LIMIT requests an hour per user and
 * function (default 60), counted in ml_function_usage, so the limit holds across isolates. The
 * service role is not limited.
 */
import type { Caller } from './auth.ts';
import { HttpError } from './http.ts';

export interface StoreEnv {
  SUPABASE_URL?: string | undefined;
  SUPABASE_SERVICE_ROLE_KEY?: string | undefined;
  /** The schema holding signalbase's tables when it is not public (SIGNALBASE_SCHEMA). */
  SB_SCHEMA?: string | undefined;
  SB_FUNCTION_RATE_LIMIT?: string | undefined;
}

export async function rpc<T>(env: StoreEnv, fn: string, args: Record<string, unknown>): Promise<T> {
  const url = env.SUPABASE_URL?.trim();
  const key = env.SUPABASE_SERVICE_ROLE_KEY?.trim();
  if (!url || !key) throw new HttpError(500, 'MISCONFIGURED', `the function is not configured: ${!url ? 'SUPABASE_URL' : 'SUPABASE_SERVICE_ROLE_KEY'} is not set`);
  let res: Response;
  try {
    res = await fetch(`${url.replace(/\/+$/, '')}/rest/v1/rpc/${fn}`, {
      method: 'POST',
      headers: {
        apikey: key,
        Authorization: `Bearer ${key}`,
        'Content-Type': 'application/json',
        ...(env.SB_SCHEMA ? { 'Content-Profile': env.SB_SCHEMA } : {}),
      },
      body: JSON.stringify(args),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (err) {
    throw new HttpError(502, 'STORE_UNREACHABLE', `the store did not answer ${fn}: ${(err as Error)?.message ?? String(err)}`);
  }
  const text = await res.text();
  if (!res.ok) {
    console.error('store call failed', fn, res.status, text.slice(0, 500));
    throw new HttpError(502, 'STORE_ERROR', `the store refused ${fn} (${res.status})`);
  }
  return (text === '' ? null : JSON.parse(text)) as T;
}

/** Spends one request of the caller's hourly limit for `fn`; 429 with Retry-After when none is left. */
export async function takeQuota(env: StoreEnv, fn: string, caller: Caller): Promise<void> {
  if (caller.role === 'service_role') return;
  const limit = Number(env.SB_FUNCTION_RATE_LIMIT ?? 60);
  const granted = await rpc<boolean>(env, 'sb_take_function_quota', {
    p_function: fn,
    p_caller: caller.sub,
    p_limit: Number.isInteger(limit) && limit > 0 ? limit : 60,
  });
  if (granted !== true) {
    const now = Date.now();
    const retry = Math.max(1, Math.ceil((Math.floor(now / 3_600_000) * 3_600_000 + 3_600_000 - now) / 1000));
    throw new HttpError(429, 'RATE_LIMITED', `hourly limit of ${limit} calls to ${fn} reached for this user`, { 'Retry-After': String(retry) });
  }
}
