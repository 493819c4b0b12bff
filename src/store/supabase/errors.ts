/**
 * PostgREST failures as StoreErrors, retryable or fatal, with PostgREST's code kept.
 *
 * PostgREST answers an error as {code, message, details, hint} with an HTTP status derived from the
 * SQLSTATE (https://docs.postgrest.org/en/stable/references/errors.html, "HTTP Status Codes", and
 * "PostgREST Error Codes" for its own PGRST*** codes). supabase-js reports a request that never got
 * an answer (refused, reset, DNS) as status 0 with an empty code.
 *
 * Retryable: no answer (status 0), 429, 503 (PGRST000-002: PostgREST cannot reach the database;
 * 08*: connection; 53*: resources), 504 (PGRST003: no pool connection in time), 520 (Cloudflare),
 * 502, and the SQLSTATEs that mean "try again": 40001 serialization, 40P01 deadlock, 55P03 lock not
 * available, 57P01-57P03 shutdown / cannot connect now, 57014 statement timeout.
 * Fatal: every other 4xx (23*** constraints, 42*** undefined/privilege, PGRST1xx bad request,
 * PGRST3xx JWT), and the remaining 5xx (a bug in SQL: retrying would fail the same way).
 */
import { StoreError } from '../../errors.ts';

/** What supabase-js returns for a failed call. */
export interface PostgrestFailure {
  status: number;
  error: { code?: string | null; message?: string | null; details?: string | null; hint?: string | null };
}

export type SupabaseStoreErrorCode =
  | 'STORE_UNREACHABLE'
  | 'STORE_UNAVAILABLE'
  | 'STORE_RATE_LIMITED'
  | 'STORE_CONFLICT'
  | 'STORE_AUTH_FAILED'
  | 'STORE_CONSTRAINT'
  | 'STORE_NOT_FOUND'
  | 'STORE_INVALID'
  | 'SCHEMA_NOT_MIGRATED'
  | 'STORE_QUERY_FAILED';

interface Classified {
  code: SupabaseStoreErrorCode;
  retryable: boolean;
  /**
   * Whether the server may have run the call although it failed (an answer lost on the way back,
   * a gateway timeout): only an idempotent call is retried then. An error answer from PostgREST
   * itself means its transaction rolled back.
   */
  ambiguous: boolean;
}

const RETRY_SQLSTATES = new Set(['40001', '40P01', '55P03', '57P01', '57P02', '57P03', '57014']);

export function classifyPostgrest(status: number, pgCode: string): Classified {
  const c = (code: SupabaseStoreErrorCode, retryable: boolean, ambiguous = false): Classified => ({ code, retryable, ambiguous });
  if (status === 0) return c('STORE_UNREACHABLE', true, true);
  if (RETRY_SQLSTATES.has(pgCode)) return c(pgCode.startsWith('40') || pgCode === '55P03' ? 'STORE_CONFLICT' : 'STORE_UNAVAILABLE', true);
  if (status === 429) return c('STORE_RATE_LIMITED', true);
  if (status === 503 || status === 504 || pgCode.startsWith('08') || pgCode.startsWith('53')) return c('STORE_UNAVAILABLE', true);
  if (status === 502 || status === 520) return c('STORE_UNAVAILABLE', true, true);
  if (status === 401 || status === 403 || pgCode === '42501' || pgCode.startsWith('28') || pgCode.startsWith('PGRST3')) {
    return c('STORE_AUTH_FAILED', false);
  }
  if (pgCode.startsWith('23') || status === 409) return c('STORE_CONSTRAINT', false);
  if (pgCode === 'PT404') return c('STORE_NOT_FOUND', false);
  if (pgCode === '22023') return c('STORE_INVALID', false);
  // A function or table PostgREST does not know: the database has not had sql/ applied.
  if (pgCode === 'PGRST202' || pgCode === 'PGRST205' || pgCode === '42883' || pgCode === '42P01') return c('SCHEMA_NOT_MIGRATED', false);
  return c('STORE_QUERY_FAILED', false);
}

/** A supabase-js failure as a StoreError; `what` names the call (rpc/<fn> or a table) for the message. */
export function toSupabaseStoreError(f: PostgrestFailure, what: string, host: string): StoreError {
  const pgCode = f.error.code ?? '';
  const { code, retryable, ambiguous } = classifyPostgrest(f.status, pgCode);
  const raw = f.error.message || `HTTP ${f.status}`;
  const context: Record<string, unknown> = { location: host, status: f.status, call: what, ambiguous };
  if (pgCode) context[pgCode.startsWith('PGRST') ? 'pgrstCode' : 'sqlState'] = pgCode;
  if (f.error.details) context.detail = f.error.details;
  if (f.error.hint) context.hint = f.error.hint;
  let message: string;
  switch (code) {
    case 'STORE_UNREACHABLE':
      message = `cannot reach Supabase at ${host}: ${raw}`;
      break;
    case 'STORE_AUTH_FAILED':
      message = `Supabase at ${host} refused ${what}: ${raw}; check SUPABASE_SERVICE_ROLE_KEY (it must be the service_role key)`;
      break;
    case 'SCHEMA_NOT_MIGRATED':
      message = `Supabase at ${host} does not know ${what} (${raw}); apply sql/ with \`signalbase migrate\` against the database URL or \`supabase db push\``;
      break;
    default:
      message = `${raw}${f.error.hint ? ` (hint: ${f.error.hint})` : ''}`;
  }
  return new StoreError(code, message, { retryable, context });
}
