/**
 * Classifies driver failures (pg, PGlite, Node sockets) into StoreErrors with a stable code and a
 * retryable flag, so the outbox retries what can succeed later and stops on what cannot.
 * Messages name the host and port, never the password.
 */
import { SignalbaseError } from '../domain/errors.ts';
import { StoreError } from '../errors.ts';

export type StoreErrorCode =
  | 'STORE_UNREACHABLE'
  | 'STORE_AUTH_FAILED'
  | 'STORE_DATABASE_MISSING'
  | 'STORE_UNAVAILABLE'
  | 'STORE_CONFLICT'
  | 'STORE_CONSTRAINT'
  | 'STORE_NOT_FOUND'
  | 'STORE_INVALID'
  | 'STORE_QUERY_FAILED';

interface DriverError {
  code?: unknown;
  message?: unknown;
  position?: unknown;
  detail?: unknown;
  constraint?: unknown;
  table?: unknown;
}

/** Node socket failures: the server may come back. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
]);

const NETWORK_MESSAGES = [
  /connection terminated/i,
  /timeout expired/i,
  /connection timeout/i,
  /query read timeout/i, // pg's query_timeout: no answer in time, the connection is presumed dead
  /terminating connection/i,
  /client has encountered a connection error/i,
  /cannot use a pool after calling end/i,
];

function classify(code: string, message: string): { code: StoreErrorCode; retryable: boolean } {
  if (NETWORK_CODES.has(code) || code.startsWith('08') || (!/^[0-9A-Z]{5}$/.test(code) && NETWORK_MESSAGES.some((re) => re.test(message)))) {
    return { code: 'STORE_UNREACHABLE', retryable: true };
  }
  if (code === '28P01' || code === '28000') return { code: 'STORE_AUTH_FAILED', retryable: false };
  if (code === '3D000') return { code: 'STORE_DATABASE_MISSING', retryable: false };
  if (code === '40001' || code === '40P01' || code === '55P03') return { code: 'STORE_CONFLICT', retryable: true };
  // admin shutdown, crash shutdown, cannot connect now, query cancelled (statement timeout), and
  // insufficient resources (too many connections, out of memory)
  if (/^57P0[1-3]$/.test(code) || code === '57014' || code.startsWith('53')) return { code: 'STORE_UNAVAILABLE', retryable: true };
  if (code.startsWith('23')) return { code: 'STORE_CONSTRAINT', retryable: false };
  // The store's SQL functions (sql/20261122001000_store_rpc.sql): a missing row, a refused argument.
  if (code === 'PT404') return { code: 'STORE_NOT_FOUND', retryable: false };
  if (code === '22023') return { code: 'STORE_INVALID', retryable: false };
  return { code: 'STORE_QUERY_FAILED', retryable: false };
}

/**
 * Wraps any failure of a store operation. `location` is host:port/database or a path: it goes in
 * the message for connection failures so the operator knows which server did not answer.
 */
export function toStoreError(err: unknown, location: string): StoreError {
  if (err instanceof StoreError) return err;
  const e = (typeof err === 'object' && err !== null ? err : {}) as DriverError;
  const sqlState = typeof e.code === 'string' ? e.code : '';
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const { code, retryable } = classify(sqlState, raw);
  const context: Record<string, unknown> = { location };
  if (sqlState) context.sqlState = sqlState;
  if (typeof e.position === 'string' || typeof e.position === 'number') context.position = Number(e.position);
  if (typeof e.constraint === 'string') context.constraint = e.constraint;
  if (typeof e.table === 'string') context.table = e.table;
  if (typeof e.detail === 'string') context.detail = e.detail;
  let message: string;
  switch (code) {
    case 'STORE_UNREACHABLE':
      message = `cannot reach Postgres at ${location}: ${raw}`;
      break;
    case 'STORE_AUTH_FAILED':
      message = `Postgres at ${location} refused the login: ${raw}`;
      break;
    case 'STORE_DATABASE_MISSING':
      message = `Postgres at ${location}: ${raw}; create it or fix the database name in DATABASE_URL`;
      break;
    default:
      message = raw;
  }
  return new StoreError(code, message, { retryable, context, cause: err });
}

/** The SQLSTATE a StoreError came from, if any. */
export function sqlStateOf(err: unknown): string | undefined {
  if (err instanceof StoreError && typeof err.context.sqlState === 'string') return err.context.sqlState;
  const code = (err as DriverError | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Inside a transaction callback errors of every kind pass through; only raw driver errors (with a
 * SQLSTATE or socket code) become StoreErrors. A bug in the callback stays a bug.
 */
export function rethrowInTransaction(err: unknown, location: string): never {
  if (err instanceof SignalbaseError) throw err;
  if (typeof (err as DriverError | undefined)?.code === 'string') throw toStoreError(err, location);
  throw err;
}
