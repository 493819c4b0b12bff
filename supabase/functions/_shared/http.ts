/**
 * What the three Edge Functions share: CORS, the caller check (auth.ts: the JWT verified in code),
 * JSON errors, body reading with a size limit and zod validation, and the call to the daemon's HTTP
 * API (ML_API_URL, ML_API_KEY: ml-predict only, a prediction key) with a timeout. Each function is handler(req, env) → Response, so tests call it directly and
 * index.ts only wires it to Deno.serve.
 *
 * Errors are the daemon's shape, {"error":{"code","message"}}. The daemon's own status and body are
 * passed through (400, 401, 403, 404, 413, 429 with Retry-After, 503); what happens on the way to
 * it is the function's: 502 UPSTREAM_UNREACHABLE, 504 UPSTREAM_TIMEOUT, 500 MISCONFIGURED.
 */
import { type AuthEnv, type Caller, verifyCaller } from './auth.ts';
import { z } from './deps.ts';
import type { StoreEnv } from './store.ts';

export interface FunctionEnv extends AuthEnv, StoreEnv {
  /** The daemon's base URL, e.g. https://signals.example.com (no trailing /v1); ml-predict only. */
  ML_API_URL?: string | undefined;
  /** ml-predict's daemon key: type prediction (least privilege; no other function holds one). */
  ML_API_KEY?: string | undefined;
  /** Upstream timeout in ms. Default 10000; Edge Functions have a wall-clock budget of their own. */
  ML_API_TIMEOUT_MS?: string | undefined;
}

/** The environment as Deno sees it (index.ts); handlers take it as a value so tests can vary it. */
export function envFromDeno(): FunctionEnv {
  return {
    ML_API_URL: Deno.env.get('ML_API_URL'),
    ML_API_KEY: Deno.env.get('ML_API_KEY'),
    ML_API_TIMEOUT_MS: Deno.env.get('ML_API_TIMEOUT_MS'),
    SB_JWT_SECRET: Deno.env.get('SB_JWT_SECRET'),
    SB_JWKS_URL: Deno.env.get('SB_JWKS_URL'),
    SB_OPERATOR_CLAIM: Deno.env.get('SB_OPERATOR_CLAIM'),
    SUPABASE_URL: Deno.env.get('SUPABASE_URL'),
    SUPABASE_SERVICE_ROLE_KEY: Deno.env.get('SUPABASE_SERVICE_ROLE_KEY'),
    SB_SCHEMA: Deno.env.get('SB_SCHEMA'),
    SB_FUNCTION_RATE_LIMIT: Deno.env.get('SB_FUNCTION_RATE_LIMIT'),
  };
}

export function corsHeaders(methods: string): Record<string, string> {
  return {
    'Access-Control-Allow-Origin': '*',
    // What supabase-js sends with functions.invoke(), plus content-type.
    'Access-Control-Allow-Headers': 'authorization, x-client-info, apikey, content-type',
    'Access-Control-Allow-Methods': `${methods}, OPTIONS`,
    'Access-Control-Expose-Headers': 'retry-after',
    'Access-Control-Max-Age': '86400',
  };
}

/** A failure with the status and code the caller sees. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(status: number, body: unknown, headers: Record<string, string>): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...headers, 'Content-Type': 'application/json' } });
}

export function errorResponse(err: HttpError, cors: Record<string, string>): Response {
  return json(err.status, { error: { code: err.code, message: err.message } }, { ...cors, ...err.headers });
}

/** The request body as `schema`, read up to `limitBytes` (413 beyond, 400 when not valid). */
export async function readJson<T>(req: Request, limitBytes: number, schema: z.ZodType<T>): Promise<T> {
  const declared = Number(req.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limitBytes) {
    throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is ${declared} bytes; the limit is ${limitBytes}`);
  }
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.byteLength > limitBytes) throw new HttpError(413, 'PAYLOAD_TOO_LARGE', `the body is ${bytes.byteLength} bytes; the limit is ${limitBytes}`);
  let value: unknown;
  try {
    value = bytes.byteLength === 0 ? {} : JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'the body is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, 'INVALID_REQUEST', issue ? `${issue.path.join('.') || 'body'}: ${issue.message}` : 'invalid body');
  }
  return parsed.data;
}

interface Upstream {
  url: string;
  key: string;
  timeoutMs: number;
}

function upstreamOf(env: FunctionEnv): Upstream {
  const url = env.ML_API_URL?.trim();
  const key = env.ML_API_KEY?.trim();
  if (!url || !key) {
    throw new HttpError(500, 'MISCONFIGURED', `the function is not configured: set ${!url ? 'ML_API_URL' : 'ML_API_KEY'} (supabase secrets set ML_API_URL=... ML_API_KEY=...)`);
  }
  const timeoutMs = Number(env.ML_API_TIMEOUT_MS ?? 10_000);
  return { url: url.replace(/\/+$/, ''), key, timeoutMs: Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 10_000 };
}

/** Headers of the daemon's answer that the caller needs. */
const PASSED_HEADERS = ['retry-after'];

/**
 * Calls the daemon and answers with its status and JSON body. A daemon answer that is not JSON
 * (a proxy's HTML page) becomes {"error":{"code":"UPSTREAM_ERROR"}} with the same status.
 */
export async function proxy(
  env: FunctionEnv,
  call: { method: 'GET' | 'POST'; path: string; body?: unknown; headers?: Record<string, string> },
  cors: Record<string, string>,
): Promise<Response> {
  const up = upstreamOf(env);
  let res: Response;
  try {
    res = await fetch(`${up.url}${call.path}`, {
      method: call.method,
      headers: { Authorization: `Bearer ${up.key}`, ...(call.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...call.headers },
      ...(call.body !== undefined ? { body: JSON.stringify(call.body) } : {}),
      signal: AbortSignal.timeout(up.timeoutMs),
    });
  } catch (err) {
    const name = (err as Error)?.name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      throw new HttpError(504, 'UPSTREAM_TIMEOUT', `the signalbase daemon did not answer ${call.method} ${call.path} within ${up.timeoutMs} ms`);
    }
    throw new HttpError(502, 'UPSTREAM_UNREACHABLE', `cannot reach the signalbase daemon at ${new URL(up.url).host}: ${(err as Error)?.message ?? String(err)}`);
  }
  const passed: Record<string, string> = {};
  for (const h of PASSED_HEADERS) {
    const v = res.headers.get(h);
    if (v !== null) passed[h] = v;
  }
  let text: string;
  try {
    text = await res.text();
  } catch {
    throw new HttpError(504, 'UPSTREAM_TIMEOUT', `the signalbase daemon's answer to ${call.method} ${call.path} did not arrive within ${up.timeoutMs} ms`);
  }
  if (text === '') return new Response(null, { status: res.status, headers: { ...cors, ...passed } });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = { error: { code: 'UPSTREAM_ERROR', message: `the daemon answered ${res.status} with a body that is not JSON` } };
  }
  return json(res.status, body, { ...cors, ...passed });
}

/**
 * The frame of every function: CORS preflight, method check, caller check, and any failure as a
 * JSON error with the CORS headers (a browser shows no body without them).
 */
export async function serveFunction(
  req: Request,
  env: FunctionEnv,
  methods: readonly ('GET' | 'POST')[],
  run: (cors: Record<string, string>, caller: Caller) => Promise<Response>,
): Promise<Response> {
  const cors = corsHeaders(methods.join(', '));
  if (req.method === 'OPTIONS') return new Response(null, { status: 204, headers: cors });
  try {
    if (!(methods as readonly string[]).includes(req.method)) {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${methods.join(' or ')}`, { Allow: `${methods.join(', ')}, OPTIONS` });
    }
    const caller = await verifyCaller(req, env);
    return await run(cors, caller);
  } catch (err) {
    if (err instanceof HttpError) return errorResponse(err, cors);
    console.error('unexpected error', err);
    return errorResponse(new HttpError(500, 'INTERNAL', 'unexpected error in the function; see its logs'), cors);
  }
}

/** A symbol as the daemon accepts it: BASE/QUOTE (or BASE-QUOTE, BASE_QUOTE), letters and digits. */
export const symbolSchema = z
  .string()
  .trim()
  .min(3)
  .max(48)
  .regex(/^[A-Za-z0-9]+(?:[/_-][A-Za-z0-9]+)?$/, { message: 'must be a symbol like LTC/BTC' });
