/** Shared by the ccxt feed tests (REST polling and websocket): ground truth and the final check. */
import { expect } from 'vitest';
import type { Candle } from '../../src/domain/candle.ts';
import type { Clock } from '../../src/domain/clock.ts';
import type { CandleSource } from '../../src/ingest/source.ts';
import { groundTruth } from './binance-helpers.ts';

export const TF = 300_000;
export const PAIRS = ['LTC/BTC', 'XLM/BTC'] as const;

/** The first `n` real candles of LTC/BTC and XLM/BTC (data/sample). */
export function pairTruth(n: number): Record<(typeof PAIRS)[number], Candle[]> {
  return groundTruth(n, [...PAIRS]) as Record<(typeof PAIRS)[number], Candle[]>;
}

/**
 * Each series delivered equals the ground truth from its first delivered candle up to the last one
 * closed on the clock (no gap, no duplicate, same values), with at least `min` candles.
 */
export function expectGroundTruth(got: readonly Candle[], truth: Record<string, readonly Candle[]>, clock: Clock, min: number): void {
  for (const symbol of Object.keys(truth)) {
    const mine = got.filter((c) => c.symbol === symbol);
    const want = truth[symbol]!.filter((c) => c.openTime >= mine[0]!.openTime && c.openTime + TF <= clock.now());
    expect(mine.length).toBeGreaterThan(min);
    expect(mine).toEqual(want);
  }
}

/** Starts the source with a sink that records every candle, and apart those delivered before their close. */
export async function record(source: CandleSource, clock: Clock): Promise<{ got: Candle[]; early: Candle[] }> {
  const got: Candle[] = [];
  const early: Candle[] = [];
  await source.start((b) => {
    for (const c of b.candles) {
      if (c.openTime + TF > clock.now()) early.push(c);
      got.push(c);
    }
  });
  return { got, early };
}
