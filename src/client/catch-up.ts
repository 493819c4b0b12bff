/**
 * Catch-up reads over PostgREST (the project's /rest/v1, as supabase-js queries it): what Realtime
 * did not deliver while the socket was away. Requests follow PostgREST's table API
 * (https://docs.postgrest.org/en/latest/references/api/tables_views.html): `select`, horizontal
 * filters (`candle_time=gte.…`, `symbol=in.(…)`, `id=in.(…)`), `order`, `limit` / `offset`; the
 * schema in Accept-Profile; `apikey` plus `Authorization: Bearer <the user's JWT>`, so RLS decides
 * what comes back exactly as it does for Realtime (anon: no signals).
 */
import { SignalClientError } from './errors.ts';
import { PREDICTION_COLUMNS } from './supabase-rows.ts';

export type Row = Record<string, unknown>;

export interface RestSource {
  /** <project URL>/rest/v1 */
  restUrl: string;
  apiKey: string;
  token: string;
  schema: string;
  fetch: typeof fetch;
}

const PAGE = 500;
/** A catch-up reads at most this many signals; a longer absence is reported (CATCH_UP_TRUNCATED). */
export const CATCH_UP_MAX_ROWS = 20_000;
const IDS_PER_REQUEST = 100;

/** PostgREST's quoting of an `in.(…)` element (url_grammar: reserved characters in double quotes). */
const quoted = (v: string) => `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;

async function get(src: RestSource, params: URLSearchParams): Promise<Row[]> {
  const url = `${src.restUrl}/ml_predictions?${params.toString()}`;
  let res: Response;
  try {
    res = await src.fetch(url, {
      headers: { apikey: src.apiKey, Authorization: `Bearer ${src.token}`, 'Accept-Profile': src.schema, Accept: 'application/json' },
    });
  } catch (err) {
    throw new SignalClientError('CATCH_UP_FAILED', `cannot read missed signals from ${src.restUrl}: ${(err as Error)?.message ?? String(err)}`, { retryable: true, cause: err });
  }
  const text = await res.text();
  if (!res.ok) {
    throw new SignalClientError('CATCH_UP_FAILED', `reading missed signals answered HTTP ${res.status}: ${text.slice(0, 200)}`, { retryable: res.status >= 500 || res.status === 429, context: { status: res.status } });
  }
  const rows = JSON.parse(text) as unknown;
  if (!Array.isArray(rows)) throw new SignalClientError('CATCH_UP_FAILED', 'reading missed signals did not answer a JSON array');
  return rows as Row[];
}

/**
 * The signals of `symbols` (null: all) with a candle at or after `fromMs`, oldest candle first,
 * paged. `truncated` when more than CATCH_UP_MAX_ROWS matched.
 */
export async function readSignalsFrom(src: RestSource, fromMs: number, symbols: readonly string[] | null): Promise<{ rows: Row[]; truncated: boolean }> {
  const out: Row[] = [];
  for (let offset = 0; ; offset += PAGE) {
    const params = new URLSearchParams({
      select: PREDICTION_COLUMNS.join(','),
      prediction_type: 'eq.SIGNAL',
      candle_time: `gte.${new Date(fromMs).toISOString()}`,
      order: 'candle_time.asc,id.asc',
      limit: String(PAGE),
      offset: String(offset),
    });
    if (symbols !== null) params.set('symbol', `in.(${symbols.map(quoted).join(',')})`);
    const page = await get(src, params);
    out.push(...page);
    if (page.length < PAGE) return { rows: out, truncated: false };
    if (out.length >= CATCH_UP_MAX_ROWS) return { rows: out, truncated: true };
  }
}

/** The rows with these ids (to see which signals delivered before the gap resolved during it). */
export async function readRowsById(src: RestSource, ids: readonly string[]): Promise<Row[]> {
  const out: Row[] = [];
  for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
    const chunk = ids.slice(i, i + IDS_PER_REQUEST);
    const params = new URLSearchParams({ select: PREDICTION_COLUMNS.join(','), id: `in.(${chunk.map(quoted).join(',')})` });
    out.push(...(await get(src, params)));
  }
  return out;
}
