/**
 * Small time helpers shared by the sources: abortable sleeps, event-loop yields and the jittered,
 * capped exponential backoff used for reconnects and REST retries.
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

export interface BackoffOptions {
  /** Delay before attempt n+1 is steps[min(n, steps.length - 1)]; the last step is the cap. */
  steps: readonly number[];
  /** Fraction of the step spread at random: 0.2 gives a delay uniform in [0.8, 1.2] x step. */
  jitter: number;
  /** Uniform [0, 1); injectable so tests are deterministic. */
  random?: () => number;
}

/** realtime-js's steps: 1 s, 2 s, 5 s, 10 s, then 10 s forever. */
export const DEFAULT_BACKOFF: BackoffOptions = { steps: [1_000, 2_000, 5_000, 10_000], jitter: 0.2 };

/** The delay before retry number `attempt` (0-based). Never above the cap x (1 + jitter). */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const { steps, jitter } = opts;
  if (steps.length === 0) return 0;
  const step = steps[Math.min(Math.max(0, attempt), steps.length - 1)]!;
  const r = (opts.random ?? Math.random)();
  return Math.max(0, Math.round(step * (1 - jitter + 2 * jitter * r)));
}
