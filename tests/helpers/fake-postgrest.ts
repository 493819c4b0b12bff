/**
 * A small PostgREST on loopback, in front of a REAL database (PGlite or server Postgres through a
 * SqlClient), speaking the exchanges supabase-js sends and PostgREST documents:
 *
 * - POST /rest/v1/rpc/<fn> with a JSON object of named arguments calls the SQL function
 *   (https://docs.postgrest.org/en/latest/references/api/functions.html): a scalar comes back as a
 *   JSON scalar, a composite as an object, SETOF / TABLE as an array (at most max-rows), void as 204.
 * - GET /rest/v1/<table>?select=a,b&col=eq.v&order=a.desc,b.asc&limit=&offset= reads a table
 *   (https://docs.postgrest.org/en/latest/references/api/tables_views.html: horizontal filtering
 *   with eq/neq/gt/gte/lt/lte/is/in, ordering, limits and pagination), as a JSON array.
 * - The schema is chosen by Accept-Profile (GET) / Content-Profile (POST) and must be the exposed one
 *   (https://docs.postgrest.org/en/latest/references/api/schemas.html; else 406 PGRST106).
 * - Every request runs in its own transaction as the JWT's role, the way PostgREST does it
 *   (https://docs.postgrest.org/en/latest/references/transactions.html,
 *   https://docs.postgrest.org/en/latest/references/auth.html): SET LOCAL ROLE <the role the
 *   bearer token stands for: anon, authenticated or service_role> and request.jwt.claims, so grants
 *   and RLS apply as on Supabase. `keys` maps each token to its role (a real JWT's `role` claim);
 *   by default only the service-role key is known. With `jwtSecret` (PostgREST's jwt-secret), a
 *   bearer token that is an HS256 JWT signed with it and unexpired runs as its own `role` claim with
 *   its own claims in request.jwt.claims (auth.uid() is its `sub`), as PostgREST's JWT-based user
 *   impersonation does (https://docs.postgrest.org/en/latest/references/auth.html#jwt-based-user-impersonation;
 *   Supabase: https://supabase.com/docs/guides/database/postgres/row-level-security#authenticated-and-unauthenticated-roles);
 *   a bad signature, an expired token or an unknown role is 401 PGRST301/PGRST303.
 * - `in.(…)` lists follow PostgREST's reserved-character rules: an element may be double-quoted
 *   (`in.("a,b",c)`), a quoted element may escape `"` and `\` with a backslash
 *   (https://docs.postgrest.org/en/latest/references/api/url_grammar.html).
 * - POST bodies must be sent as `Content-Type: application/json` (415 PGRST107 otherwise); `Prefer`
 *   must be well formed, and with `handling=strict` every preference must be one PostgREST knows
 *   (400 PGRST122; https://docs.postgrest.org/en/latest/references/api/preferences.html).
 * - Errors are {code, message, details, hint} with the documented SQLSTATE → HTTP status mapping
 *   (https://docs.postgrest.org/en/latest/references/errors.html), PTxyz giving status xyz.
 * - The Supabase gateway's key check: `apikey` must be a project key (401 otherwise), and
 *   `Authorization: Bearer <token>` a token PostgREST accepts (401 PGRST301 otherwise).
 *
 * - With `cors: true`, browsers on other origins are answered as Supabase's API gateway answers
 *   them (Kong's cors plugin on the REST routes in supabase/docker/volumes/api/kong.yml): a
 *   preflight OPTIONS gets 204 with Access-Control-Allow-Origin / -Methods / -Headers (the request's
 *   headers allowed), and every response carries Access-Control-Allow-Origin
 *   (https://fetch.spec.whatwg.org/#http-cors-protocol).
 *
 * Tests can inject failures in front of the database (failNext) to see retries and mapping.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { StoreError } from '../../src/errors.ts';
import { quoteIdent, type SqlClient, type SqlExecutor } from '../../src/store/sql-client.ts';

export interface FakePostgrestOptions {
  db: SqlClient;
  /** The exposed schema (PostgREST's db-schemas). */
  schema: string;
  serviceRoleKey: string;
  /** Further keys / JWTs and the role each stands for (e.g. the anon key: 'anon'). */
  keys?: Record<string, Role>;
  /** PostgREST's jwt-secret: HS256 JWTs signed with it run as their `role` claim, with their claims. */
  jwtSecret?: string;
  /** PostgREST's max-rows; Supabase's default is 1000. */
  maxRows?: number;
  /**
   * Other Supabase services on the same origin (supabase-js derives every URL from one project
   * URL), e.g. the fake Storage: tried first, in order; `handle` answers and returns the status, or
   * returns null to pass.
   */
  services?: { handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<number | null> }[];
  /** Answer CORS preflights and allow any origin (see the file comment). Default false. */
  cors?: boolean;
}

export type Role = 'anon' | 'authenticated' | 'service_role';

export interface Injected {
  status: number;
  body: Record<string, unknown> | string;
  headers?: Record<string, string>;
}

export interface LoggedRequest {
  method: string;
  path: string;
  status: number;
}

export interface FakePostgrest {
  /** The project URL to give supabase-js (SUPABASE_URL). */
  url: string;
  requests: LoggedRequest[];
  /** The next `times` requests whose path matches answer `reply` instead of reaching the database. */
  failNext(path: RegExp, times: number, reply: Injected): void;
  close(): Promise<void>;
}

interface PgError {
  code: string;
  message: string;
  details: string | null;
  hint: string | null;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: PgError,
  ) {
    super(body.message);
  }
}

/** PostgREST's documented SQLSTATE → HTTP status table (the caller is authenticated). */
export function postgrestStatus(code: string): number {
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const exact: Record<string, number> = {
    '23503': 409,
    '23505': 409,
    '25006': 405,
    '53400': 500,
    P0001: 400,
    '42883': 404,
    '42P01': 404,
    '42501': 403,
  };
  if (exact[code] !== undefined) return exact[code];
  const byClass: Record<string, number> = {
    '08': 503,
    '09': 500,
    '0L': 403,
    '0P': 403,
    '25': 500,
    '28': 403,
    '2D': 500,
    '38': 500,
    '39': 500,
    '3B': 500,
    '40': 500,
    '53': 503,
    '54': 413,
    '55': 500,
    '57': 500,
    '58': 500,
    F0: 500,
    HV: 500,
    P0: 500,
    XX: 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}

const pgrst = (status: number, code: string, message: string, hint: string | null = null, details: string | null = null) =>
  new HttpError(status, { code, message, details, hint });

function fromStoreError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof StoreError && typeof err.context.sqlState === 'string') {
    const cause = err.cause as { hint?: string; message?: string } | undefined;
    const code = err.context.sqlState;
    return new HttpError(postgrestStatus(code), {
      code,
      message: cause?.message ?? err.message,
      details: typeof err.context.detail === 'string' ? err.context.detail : null,
      hint: cause?.hint ?? null,
    });
  }
  // PostgREST lost the database: 503 PGRST000/001.
  return pgrst(503, 'PGRST001', `Database client error: ${(err as Error).message}`);
}

interface FnInfo {
  args: { name: string; type: string; hasDefault: boolean }[];
  returnsSet: boolean;
  returnsVoid: boolean;
  /** Composite (a row type or OUT/TABLE columns): objects rather than a scalar. */
  composite: boolean;
}

async function lookupFunction(db: SqlExecutor, schema: string, fn: string, given: string[]): Promise<FnInfo> {
  const { rows } = await db.query<{
    names: string[] | null;
    types: string[];
    modes: string[] | null;
    ndefaults: number;
    retset: boolean;
    rettype: string;
    typtype: string;
  }>(
    `SELECT p.proargnames AS names,
            ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) AS t) AS types,
            p.proargmodes::text[] AS modes, p.pronargdefaults AS ndefaults, p.proretset AS retset,
            format_type(p.prorettype, NULL) AS rettype, rt.typtype::text AS typtype
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace JOIN pg_type rt ON rt.oid = p.prorettype
     WHERE n.nspname = $1 AND p.proname = $2`,
    [schema, fn],
  );
  for (const r of rows) {
    const inNames = (r.names ?? []).filter((_, i) => !r.modes || r.modes[i] === 'i' || r.modes[i] === 'b');
    const args = r.types.map((type, i) => ({ name: inNames[i] ?? '', type, hasDefault: i >= r.types.length - r.ndefaults }));
    const known = new Set(args.map((a) => a.name));
    if (given.every((g) => known.has(g)) && args.every((a) => a.hasDefault || given.includes(a.name))) {
      const hasTableCols = (r.modes ?? []).some((m) => m === 't' || m === 'o');
      return { args, returnsSet: r.retset, returnsVoid: r.rettype === 'void', composite: hasTableCols || r.typtype === 'c' || r.rettype === 'record' };
    }
  }
  throw pgrst(
    404,
    'PGRST202',
    `Could not find the function ${schema}.${fn}(${given.join(', ')}) in the schema cache`,
    'If a new function was created in the database with this name and parameters, try reloading the schema cache.',
  );
}

/** A JSON argument as the SQL parameter PostgREST would bind for the parameter's type. */
function sqlParam(value: unknown, type: string): unknown {
  if (value === null || value === undefined) return null;
  if (type === 'json' || type === 'jsonb') return JSON.stringify(value);
  if (typeof value === 'object' && !Array.isArray(value)) return JSON.stringify(value);
  return value;
}

/** Runs `fn` as the JWT's role, in one transaction, like PostgREST. */
function asRole<T>(db: SqlClient, schema: string, who: Identity, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
  const { role } = who;
  return db.transaction(async (tx) => {
    await tx.exec(`SET LOCAL ROLE ${quoteIdent(role)}; SET LOCAL search_path TO ${quoteIdent(schema)}`);
    const claims = who.claims ?? (role === 'authenticated' ? { role, sub: '00000000-0000-4000-8000-000000000001' } : { role });
    await tx.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify(claims)]);
    return fn(tx);
  });
}

/**
 * The elements of an `in.(…)` list: comma-separated, each optionally double-quoted; inside quotes a
 * backslash escapes the next character. Returns null when the list is malformed.
 */
export function parseInList(operand: string): string[] | null {
  if (!operand.startsWith('(') || !operand.endsWith(')')) return null;
  const body = operand.slice(1, -1);
  const out: string[] = [];
  let i = 0;
  if (body === '') return out;
  for (;;) {
    let item = '';
    if (body[i] === '"') {
      i++;
      for (;;) {
        if (i >= body.length) return null; // unterminated quote
        const ch = body[i]!;
        if (ch === '\\' && i + 1 < body.length) {
          item += body[i + 1];
          i += 2;
        } else if (ch === '"') {
          i++;
          break;
        } else {
          item += ch;
          i++;
        }
      }
      if (i < body.length && body[i] !== ',') return null; // text after the closing quote
    } else {
      while (i < body.length && body[i] !== ',') item += body[i++];
      item = item.trim();
    }
    out.push(item);
    if (i >= body.length) return out;
    i++; // the comma
  }
}

const PREFERENCES: Record<string, RegExp> = {
  return: /^(minimal|representation|headers-only)$/,
  count: /^(exact|planned|estimated)$/,
  resolution: /^(merge-duplicates|ignore-duplicates)$/,
  missing: /^default$/,
  handling: /^(strict|lenient)$/,
  tx: /^(commit|rollback)$/,
  params: /^single-object$/,
  'max-affected': /^\d+$/,
  timezone: /^.+$/,
};

/** Checks `Prefer`: well formed, and under handling=strict only known preferences (PGRST122). */
function checkPrefer(req: IncomingMessage): void {
  const header = req.headers.prefer;
  if (header === undefined) return;
  const items = (Array.isArray(header) ? header.join(',') : header).split(',').map((x) => x.trim()).filter(Boolean);
  const parsed = items.map((item) => {
    const eq = item.indexOf('=');
    return eq < 0 ? { key: item, value: '' } : { key: item.slice(0, eq).trim(), value: item.slice(eq + 1).trim() };
  });
  const strict = parsed.some((p) => p.key === 'handling' && p.value === 'strict');
  const invalid = parsed.filter((p) => !(PREFERENCES[p.key]?.test(p.value) ?? false));
  if (strict && invalid.length > 0) {
    throw pgrst(400, 'PGRST122', 'Invalid preferences given with handling=strict', null, `Invalid preferences: ${invalid.map((p) => `${p.key}=${p.value}`).join(', ')}`);
  }
}

/** POST bodies are JSON (the only media type this fake reads). */
function checkContentType(req: IncomingMessage, body: string): void {
  if (req.method !== 'POST' || body === '') return;
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw pgrst(415, 'PGRST107', `The Content-Type "${type}" is not acceptable; send application/json`);
}

async function callFunction(o: FakePostgrestOptions, role: Identity, maxRows: number, fn: string, body: Record<string, unknown>): Promise<{ status: number; json: string | null }> {
  return asRole(o.db, o.schema, role, async (tx) => {
    const info = await lookupFunction(tx, o.schema, fn, Object.keys(body));
    const params: unknown[] = [];
    const named = Object.entries(body).map(([name, value]) => {
      const type = info.args.find((a) => a.name === name)!.type;
      params.push(sqlParam(value, type));
      return `${quoteIdent(name)} => $${params.length}::${type}`;
    });
    const call = `${quoteIdent(o.schema)}.${quoteIdent(fn)}(${named.join(', ')})`;
    if (info.returnsVoid) {
      await tx.query(`SELECT ${call}`, params);
      return { status: 204, json: null };
    }
    const sql = info.returnsSet
      ? `SELECT coalesce(json_agg(t), '[]'::json)::text AS body FROM (SELECT * FROM ${call} LIMIT ${maxRows}) t`
      : info.composite
        ? `SELECT to_json(t)::text AS body FROM ${call} t`
        : `SELECT to_json(${call})::text AS body`;
    const { rows } = await tx.query<{ body: string }>(sql, params);
    return { status: 200, json: rows[0]?.body ?? 'null' };
  });
}

const FILTER_OPS: Record<string, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

async function readTable(o: FakePostgrestOptions, role: Identity, maxRows: number, table: string, query: URLSearchParams): Promise<string> {
  return asRole(o.db, o.schema, role, async (tx) => {
    const { rows: found } = await tx.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`${quoteIdent(o.schema)}.${quoteIdent(table)}`]);
    if (!found[0]?.ok) {
      throw pgrst(404, 'PGRST205', `Could not find the table '${o.schema}.${table}' in the schema cache`);
    }
    const params: unknown[] = [];
    const where: string[] = [];
    let select = '*';
    let order = '';
    let limit = maxRows;
    let offset = 0;
    for (const [key, value] of query) {
      if (key === 'select') {
        select = value === '*' ? '*' : value.split(',').map((c) => quoteIdent(c.trim())).join(', ');
      } else if (key === 'order') {
        order = value
          .split(',')
          .map((term) => {
            const [col, dir = 'asc'] = term.split('.');
            if (dir !== 'asc' && dir !== 'desc') throw pgrst(400, 'PGRST100', `"failed to parse order (${value})"`);
            return `${quoteIdent(col!)} ${dir.toUpperCase()}`;
          })
          .join(', ');
      } else if (key === 'limit') {
        limit = Math.min(maxRows, Number(value));
      } else if (key === 'offset') {
        offset = Number(value);
      } else {
        const dot = value.indexOf('.');
        const op = value.slice(0, dot);
        const operand = value.slice(dot + 1);
        const col = quoteIdent(key);
        if (FILTER_OPS[op]) {
          params.push(operand);
          where.push(`${col} ${FILTER_OPS[op]} $${params.length}`);
        } else if (op === 'is' && ['null', 'true', 'false'].includes(operand)) {
          where.push(`${col} IS ${operand.toUpperCase()}`);
        } else if (op === 'in' && parseInList(operand) !== null) {
          const list = parseInList(operand)!;
          const marks = list.map((v) => {
            params.push(v);
            return `$${params.length}`;
          });
          where.push(`${col} IN (${marks.join(', ')})`);
        } else {
          throw pgrst(400, 'PGRST100', `"failed to parse filter (${value})"`);
        }
      }
    }
    const sql = `SELECT coalesce(json_agg(t), '[]'::json)::text AS body FROM (
      SELECT ${select} FROM ${quoteIdent(o.schema)}.${quoteIdent(table)}
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ${order ? `ORDER BY ${order}` : ''}
      LIMIT ${limit} OFFSET ${offset}) t`;
    const { rows } = await tx.query<{ body: string }>(sql, params);
    return rows[0]!.body;
  });
}

export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Who a request runs as: the role, and the JWT claims when the token was a verified JWT. */
interface Identity {
  role: Role;
  claims?: Record<string, unknown>;
}

const ROLES: readonly string[] = ['anon', 'authenticated', 'service_role'];

/** A JWT signed with PostgREST's jwt-secret (HS256 only here), unexpired, naming a known role. */
function verifiedJwt(token: string, secret: string): Identity {
  const [h, p, sig] = token.split('.');
  const bad = (code: string, message: string) => pgrst(401, code, message);
  if (h === undefined || p === undefined || sig === undefined) throw bad('PGRST301', 'Expected 3 parts in JWT; got fewer');
  let header: { alg?: unknown };
  let claims: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as { alg?: unknown };
    claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw bad('PGRST301', 'JWT cryptographic operation failed');
  }
  const want = createHmac('sha256', secret).update(`${h}.${p}`).digest();
  const got = Buffer.from(sig, 'base64url');
  if (header.alg !== 'HS256' || got.length !== want.length || !timingSafeEqual(got, want)) throw bad('PGRST301', 'JWT cryptographic operation failed');
  if (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now()) throw bad('PGRST303', 'JWT expired');
  if (typeof claims.role !== 'string' || !ROLES.includes(claims.role)) throw bad('PGRST301', `role ${JSON.stringify(claims.role)} does not exist`);
  return { role: claims.role as Role, claims };
}

/** The gateway's apikey check, then the role the bearer token stands for. */
function checkKeys(req: IncomingMessage, keys: Record<string, Role>, jwtSecret: string | undefined): Identity {
  const apikey = req.headers.apikey;
  if (typeof apikey !== 'string' || keys[apikey] === undefined) {
    throw new HttpError(401, { code: '', message: 'Invalid API key', details: null, hint: 'Double check your Supabase `anon` or `service_role` API key.' });
  }
  const auth = req.headers.authorization;
  const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
  const role = token === undefined ? undefined : keys[token];
  if (role) return { role };
  if (token !== undefined && jwtSecret !== undefined) return verifiedJwt(token, jwtSecret);
  throw pgrst(401, 'PGRST301', 'No suitable key or wrong key type');
}

function checkProfile(req: IncomingMessage, schema: string): void {
  const header = req.method === 'GET' || req.method === 'HEAD' ? 'accept-profile' : 'content-profile';
  const asked = req.headers[header];
  if (asked !== undefined && asked !== schema) {
    throw pgrst(406, 'PGRST106', `Invalid schema: ${String(asked)}`, `Only the following schemas are exposed: ${schema}`);
  }
}

export async function startFakePostgrest(o: FakePostgrestOptions): Promise<FakePostgrest> {
  const maxRows = o.maxRows ?? 1000;
  const keys: Record<string, Role> = { ...o.keys, [o.serviceRoleKey]: 'service_role' };
  const requests: LoggedRequest[] = [];
  const faults: { path: RegExp; left: number; reply: Injected }[] = [];

  const send = (res: ServerResponse, status: number, body: string | null, headers: Record<string, string> = {}) => {
    if (o.cors) headers = { 'access-control-allow-origin': '*', ...headers };
    res.writeHead(status, body === null ? headers : { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(body ?? undefined);
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const raw = await readBody(req);
    if (o.cors && req.method === 'OPTIONS') {
      const asked = req.headers['access-control-request-headers'];
      send(res, 204, null, {
        'access-control-allow-methods': 'GET,HEAD,PUT,PATCH,POST,DELETE,OPTIONS',
        'access-control-allow-headers': typeof asked === 'string' ? asked : 'authorization,apikey,content-type,accept-profile,content-profile,prefer,x-client-info',
        'access-control-max-age': '3600',
      });
      return 204;
    }
    for (const service of o.services ?? []) {
      const status = await service.handle(req, res, raw);
      if (status !== null) return status;
    }
    const body = raw.toString('utf8');
    const fault = faults.find((f) => f.left > 0 && f.path.test(url.pathname));
    if (fault) {
      fault.left--;
      send(res, fault.reply.status, typeof fault.reply.body === 'string' ? fault.reply.body : JSON.stringify(fault.reply.body), fault.reply.headers);
      return fault.reply.status;
    }
    try {
      if (!url.pathname.startsWith('/rest/v1/')) throw pgrst(404, 'PGRST125', `Invalid path specified in request URL`);
      const role = checkKeys(req, keys, o.jwtSecret);
      checkProfile(req, o.schema);
      checkContentType(req, body);
      checkPrefer(req);
      const rest = decodeURIComponent(url.pathname.slice('/rest/v1/'.length));
      if (rest.startsWith('rpc/')) {
        if (req.method !== 'POST') throw pgrst(405, 'PGRST101', 'Only GET and POST are allowed for functions; this fake does POST');
        let args: unknown;
        try {
          args = body === '' ? {} : JSON.parse(body);
        } catch {
          throw pgrst(400, 'PGRST102', 'Empty or invalid json');
        }
        if (typeof args !== 'object' || args === null || Array.isArray(args)) throw pgrst(400, 'PGRST102', 'Expected a JSON object of named arguments');
        const out = await callFunction(o, role, maxRows, rest.slice(4), args as Record<string, unknown>);
        send(res, out.status, out.json);
        return out.status;
      }
      if (req.method !== 'GET') throw pgrst(405, 'PGRST117', `Unsupported HTTP method: ${req.method ?? ''} (this fake reads only)`);
      send(res, 200, await readTable(o, role, maxRows, rest, url.searchParams));
      return 200;
    } catch (err) {
      const e = fromStoreError(err);
      send(res, e.status, JSON.stringify(e.body));
      return e.status;
    }
  }

  const server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    handle(req, res).then(
      (status) => requests.push({ method: req.method ?? '', path, status }),
      (err: unknown) => {
        requests.push({ method: req.method ?? '', path, status: 500 });
        if (!res.headersSent) send(res, 500, JSON.stringify({ code: 'XX000', message: String(err), details: null, hint: null }));
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext(path, times, reply) {
      faults.push({ path, left: times, reply });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
