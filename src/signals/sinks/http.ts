/**
 * One JSON POST with a timeout, and the classification every HTTP sink shares: 2xx delivered; 429,
 * 408 and 5xx retried (Retry-After honoured, seconds or an HTTP date); other 4xx refused (the event
 * is dead-lettered: sending it again cannot help); a network error or timeout retried.
 * Error text never includes the URL (Telegram, Discord and Slack URLs carry their token).
 */
import { refuse, retry, type DeliveryResult } from './transport.ts';

export interface HttpAnswer {
  status: number;
  headers: Headers;
  text: string;
}

export type PostOutcome = { answer: HttpAnswer } | { failed: DeliveryResult };

/** Parses Retry-After: delta-seconds or an HTTP date; ms, or undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const secs = Number(value);
  if (Number.isFinite(secs) && secs >= 0) return Math.ceil(secs * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

export async function postJson(url: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<PostOutcome> {
  try {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'user-agent': 'signalbase', ...headers }, signal, redirect: 'error' });
    const text = await res.text();
    return { answer: { status: res.status, headers: res.headers, text } };
  } catch (err) {
    if (signal.aborted) return { failed: retry('timeout', 'no answer before the timeout') };
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return { failed: retry('network', `cannot reach the receiver (${cause?.code ?? cause?.message ?? (err as Error).name})`) };
  }
}

/** The default classification of an HTTP answer (kinds override for their own error bodies). */
export function classify(a: HttpAnswer, retryAfter = retryAfterMs(a.headers.get('retry-after'))): DeliveryResult {
  if (a.status >= 200 && a.status < 300) return { ok: true };
  const snippet = a.text.slice(0, 200).replace(/\s+/g, ' ');
  if (a.status === 429) return retry('rate_limited', `HTTP 429 (rate limited${retryAfter !== undefined ? `, retry after ${retryAfter} ms` : ''})`, retryAfter);
  if (a.status >= 500 || a.status === 408) return retry('server_error', `HTTP ${a.status} ${snippet}`.trim(), retryAfter);
  return refuse('client_error', `HTTP ${a.status} ${snippet}`.trim());
}
