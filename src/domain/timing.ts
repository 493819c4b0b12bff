/**
 * Waiting, in one place: an abortable sleep, a yield to the event loop, and the one backoff every
 * retry loop uses (feed reconnects and REST retries, the outbox, the Supabase store and Storage,
 * the client's reconnects). Time itself is a Clock (clock.ts).
 *
 * A backoff policy is one of two shapes:
 * - a table of steps with symmetric jitter (realtime-js's 1 s, 2 s, 5 s, 10 s; the live feeds):
 *   the delay before retry n is steps[min(n, last)] × (1 ± jitter), rounded to a millisecond;
 * - capped exponential with "equal jitter" (the outbox, Supabase, the client): the n-th failure
 *   waits between d/2 and d, d = min(cap, base × 2^n). The jitter keeps instances that lost the
 *   same service from retrying in lock step; the floor of d/2 keeps the wait growing.
 */

/** Resolves after `ms`, or early (without rejecting) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Lets timers and I/O (HTTP probes, stop requests) run between bursts of synchronous work. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface StepBackoff {
  /** Delay before attempt n+1 is steps[min(n, steps.length - 1)]; the last step is the cap. */
  steps: readonly number[];
  /** Fraction of the step spread at random: 0.2 gives a delay uniform in [0.8, 1.2] x step. */
  jitter: number;
  /** Uniform [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

export interface ExponentialBackoff {
  /** First delay ceiling, ms. Default 500. */
  baseMs?: number;
  /** Largest delay, ms. Default 30,000. */
  capMs?: number;
}

export type BackoffPolicy = StepBackoff | ExponentialBackoff;

/** realtime-js's steps: 1 s, 2 s, 5 s, 10 s, then 10 s forever. */
export const DEFAULT_BACKOFF: StepBackoff = { steps: [1_000, 2_000, 5_000, 10_000], jitter: 0.2 };

export const DEFAULT_EXPONENTIAL_BACKOFF = { baseMs: 500, capMs: 30_000 } as const;

/** The delay before retry number `attempt` (0-based), in ms. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = {}, random?: () => number): number {
  if ('steps' in policy) {
    const { steps, jitter } = policy;
    if (steps.length === 0) return 0;
    const step = steps[Math.min(Math.max(0, attempt), steps.length - 1)]!;
    const r = (random ?? policy.random ?? Math.random)();
    return Math.max(0, Math.round(step * (1 - jitter + 2 * jitter * r)));
  }
  const base = policy.baseMs ?? DEFAULT_EXPONENTIAL_BACKOFF.baseMs;
  const cap = policy.capMs ?? DEFAULT_EXPONENTIAL_BACKOFF.capMs;
  const d = Math.min(cap, base * 2 ** Math.min(attempt, 52));
  return d / 2 + (random ?? Math.random)() * (d / 2);
}
