/**
 * Time as a dependency. Validation ("not in the future"), replay pacing and the live feeds read the
 * time through a Clock so tests can run an exchange on virtual time.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /**
   * Resolves once now() has reached `at` (or early when `signal` aborts). A virtual clock provides it
   * so a feed that waits for the next candle close (ingest/polled) waits on virtual time; without
   * it the wait is a timer of (at - now()) real milliseconds.
   */
  sleepUntil?(at: number, signal: AbortSignal): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now() };
