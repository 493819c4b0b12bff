/**
 * Capped exponential backoff with "equal jitter": the n-th consecutive failure (n from 0) waits
 * between d/2 and d, d = min(cap, base × 2^n). The jitter keeps several instances that lost the same
 * database from retrying in lock step; the floor of d/2 keeps the wait growing.
 */
export interface BackoffOptions {
  /** First delay ceiling, ms. Default 500. */
  baseMs?: number;
  /** Largest delay, ms. Default 30,000. */
  capMs?: number;
}

export const DEFAULT_BACKOFF = { baseMs: 500, capMs: 30_000 } as const;

export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const base = opts.baseMs ?? DEFAULT_BACKOFF.baseMs;
  const cap = opts.capMs ?? DEFAULT_BACKOFF.capMs;
  const d = Math.min(cap, base * 2 ** Math.min(attempt, 52));
  return d / 2 + random() * (d / 2);
}
