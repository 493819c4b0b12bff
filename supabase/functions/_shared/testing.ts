/**
 * For the functions' deno tests: the daemon they run against (started by
 * tests/edge/edge-functions.test.ts, which passes its URL and keys in the environment) and a way to
 * call a handler as the platform would.
 */
import type { FunctionEnv } from './http.ts';

function required(name: string): string {
  const v = Deno.env.get(name);
  if (!v) throw new Error(`${name} is not set: run these tests through tests/edge/edge-functions.test.ts (npx vitest run tests/edge), which starts a daemon`);
  return v;
}

/** The daemon on loopback and its keys: admin (ML_API_KEY), stream-only, and one limited to 1 request an hour. */
export const daemon = {
  url: required('ML_API_URL'),
  adminKey: required('ML_API_KEY'),
  streamKey: required('SB_TEST_STREAM_KEY'),
  limitedKey: required('SB_TEST_LIMITED_KEY'),
  /** A real candle file (Binance LTC/BTC 5m, freqtrade rows). */
  samplePath: required('SB_TEST_SAMPLE'),
};

export const env = (over: Partial<FunctionEnv> = {}): FunctionEnv => ({ ML_API_URL: daemon.url, ML_API_KEY: daemon.adminKey, ...over });

/** What supabase-js functions.invoke sends: the anon key as apikey and as a bearer token. */
export const CALLER = { Authorization: 'Bearer anon-jwt-for-tests', apikey: 'anon-jwt-for-tests' };

export function request(method: string, path: string, opts: { body?: string | unknown; headers?: Record<string, string> } = {}): Request {
  const body = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Request(`http://edge.local${path}`, {
    method,
    headers: { ...CALLER, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
    ...(body !== undefined ? { body } : {}),
  });
}

/** The daemon's own answer to a call, for comparing what a function passed through. */
export async function direct(method: 'GET' | 'POST', path: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${daemon.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${key}`, ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

export async function errorOf(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = (await res.json()) as { error?: { code?: string; message?: string } };
  return { status: res.status, code: String(body.error?.code), message: String(body.error?.message) };
}
