/**
 * The REST side of the exchange: closed klines for a time range, paged 1000 at a time, each page
 * retried with jittered, capped backoff when the failure can pass (network, 5xx, 429).
 */
import { SignalbaseError } from '../../domain/errors.ts';
import { backoffDelay, sleep, type StepBackoff } from '../../domain/timing.ts';

export class FeedRestError extends SignalbaseError {
  constructor(message: string, opts: { retryable: boolean; status?: number; cause?: unknown; url?: string }) {
    super('FEED_REST_FAILED', message, { retryable: opts.retryable, cause: opts.cause, context: { status: opts.status, url: opts.url } });
  }
}

export interface KlineRangeRequest {
  restBase: string;
  exchangeSymbol: string;
  interval: string;
  intervalMs: number;
  /** Inclusive open-time bounds (ms). */
  from: number;
  to: number;
  signal: AbortSignal;
  pageLimit?: number;
  /** Attempts per page before giving up. */
  attempts?: number;
  backoff: StepBackoff;
  requestTimeoutMs?: number;
  fetchImpl?: typeof fetch;
  /** Called before each retry (for metrics and logs). */
  onRetry?: (err: FeedRestError, attempt: number) => void;
}

async function fetchPage(url: string, req: KlineRangeRequest): Promise<unknown[]> {
  const doFetch = req.fetchImpl ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, { signal: AbortSignal.any([req.signal, AbortSignal.timeout(req.requestTimeoutMs ?? 10_000)]) });
  } catch (err) {
    throw new FeedRestError(`klines request failed: ${(err as Error).message}`, { retryable: true, cause: err, url });
  }
  if (!res.ok) {
    const body = (await res.text().catch(() => '')).slice(0, 200);
    const retryable = res.status >= 500 || res.status === 429 || res.status === 418;
    throw new FeedRestError(`klines request answered HTTP ${res.status}: ${body}`, { retryable, status: res.status, url });
  }
  let data: unknown;
  try {
    data = await res.json();
  } catch (err) {
    throw new FeedRestError('klines response is not JSON', { retryable: true, cause: err, url });
  }
  if (!Array.isArray(data)) throw new FeedRestError('klines response is not an array', { retryable: false, url });
  return data;
}

/**
 * Every row the exchange has with open time in [from, to], oldest first, as unknown values for the
 * caller to validate. Throws FeedRestError when a page keeps failing; rows of earlier pages are
 * passed to `onPage` as they arrive so a late failure loses nothing already fetched.
 */
export async function fetchKlineRange(req: KlineRangeRequest, onPage: (rows: unknown[]) => Promise<void>): Promise<void> {
  const limit = req.pageLimit ?? 1000;
  const attempts = req.attempts ?? 5;
  let start = req.from;
  while (start <= req.to && !req.signal.aborted) {
    const url =
      `${req.restBase.replace(/\/+$/, '')}/api/v3/klines?symbol=${encodeURIComponent(req.exchangeSymbol)}` +
      `&interval=${encodeURIComponent(req.interval)}&startTime=${start}&endTime=${req.to}&limit=${limit}`;
    let rows: unknown[] | undefined;
    for (let attempt = 0; rows === undefined; attempt++) {
      try {
        rows = await fetchPage(url, req);
      } catch (err) {
        const e = err instanceof FeedRestError ? err : new FeedRestError(String(err), { retryable: false, cause: err, url });
        if (req.signal.aborted || !e.retryable || attempt + 1 >= attempts) throw e;
        req.onRetry?.(e, attempt);
        await sleep(backoffDelay(attempt, req.backoff), req.signal);
      }
    }
    if (rows.length === 0) return;
    await onPage(rows);
    const lastOpen = rowOpenTime(rows[rows.length - 1]);
    if (rows.length < limit || lastOpen === undefined || lastOpen + req.intervalMs <= start) return;
    start = lastOpen + req.intervalMs;
  }
}

function rowOpenTime(row: unknown): number | undefined {
  return Array.isArray(row) && typeof row[0] === 'number' && Number.isFinite(row[0]) ? row[0] : undefined;
}
