/**
 * Reconnect delays: exponential from `initialMs`, capped at `maxMs`, with "equal jitter" (half the
 * step fixed, half random) so many clients dropped at once do not return in lock-step: the one
 * backoff (domain/timing.ts), counting attempts for a connection.
 */
import { backoffDelay } from '../domain/timing.ts';

export interface Backoff {
  /** The delay before the next attempt; each call counts one attempt. */
  next(): number;
  /** A connection held: start again from the shortest delay. */
  reset(): void;
  readonly attempt: number;
}

export function createBackoff(opts: { initialMs?: number; maxMs?: number } = {}, random: () => number = Math.random): Backoff {
  const initial = Math.max(1, opts.initialMs ?? 1_000);
  const max = Math.max(initial, opts.maxMs ?? 10_000);
  let attempt = 0;
  return {
    next() {
      const delay = Math.round(backoffDelay(attempt, { baseMs: initial, capMs: max }, random));
      attempt += 1;
      return delay;
    },
    reset() {
      attempt = 0;
    },
    get attempt() {
      return attempt;
    },
  };
}
