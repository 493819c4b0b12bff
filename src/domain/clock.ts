/**
 * Time as a dependency. Validation ("not in the future"), replay pacing and the live feeds read the
 * time through a Clock so tests can run an exchange on virtual time.
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };
