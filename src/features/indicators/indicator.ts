import type { Candle } from '../../domain/candle.ts';

/** The part of a closed candle an indicator reads. Every `Candle` is a `Bar`. */
export type Bar = Pick<Candle, 'openTime' | 'open' | 'high' | 'low' | 'close' | 'volume'>;

/**
 * A streaming indicator (trading-signals style): feed closed candles one at a time, oldest first.
 *
 * Invariants every implementation keeps (checked by tests/features/indicator-contract.test.ts):
 * - `update` does O(1) work (fixed-size windows at most) and allocates nothing;
 * - the result is `null` for exactly the first `lookback` candles, then a value on every candle:
 *   `lookback` is TA-Lib's lookback, i.e. the index of TA-Lib's first output;
 * - the same candles give the same values, and `reset()` returns to the freshly constructed state.
 *
 * Multi-output indicators return a value object the indicator owns and overwrites on the next
 * update: copy the fields if you keep them.
 */
export interface StreamingIndicator<V> {
  /** Human-readable definition, e.g. `RSI(14)`. */
  readonly name: string;
  /** Number of candles consumed before the first value (TA-Lib's lookback). */
  readonly lookback: number;
  /** The latest value, `null` while warming up. */
  readonly value: V | null;
  /** True once the indicator has produced its first value. */
  readonly isStable: boolean;
  update(bar: Bar): V | null;
  reset(): void;
}

/**
 * TA-Lib's zero test (`TA_IS_ZERO` in ta_utility.h of TA-Lib 0.6: |v| < 1e-14). RSI and ADX use it
 * to decide when a ratio is undefined; we use the same bound so values agree near zero.
 */
export const TA_EPSILON = 1e-14;

export function taIsZero(v: number): boolean {
  return -TA_EPSILON < v && v < TA_EPSILON;
}
