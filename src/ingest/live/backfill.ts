/**
 * Gap backfill from the venue's REST API: the closed, valid candles of one series over an open-time range,
 * committed to the series tracker in order. A candle still forming (open time + timeframe after
 * now) is never taken, whatever the exchange returns. A range that keeps failing is logged and
 * left as a gap; the caller continues after it.
 */
import type { Candle } from '../../domain/candle.ts';
import type { Clock } from '../../domain/clock.ts';
import { timeframeMs, type Timeframe } from '../../domain/timeframe.ts';
import type { Logger } from '../../log.ts';
import { backfillFailures, candleGaps } from '../metrics.ts';
import type { RejectionReporter } from '../rejections.ts';
import type { SeriesTracker } from '../series.ts';
import type { KlineValidator } from './kline-candle.ts';
import type { LiveVenue, ParsedFrame } from './venue.ts';

export interface GapRange {
  symbol: string;
  /** Inclusive open times. */
  from: number;
  to: number;
}

export interface BackfillDeps {
  venue: LiveVenue;
  timeframe: Timeframe;
  clock: Clock;
  tracker: SeriesTracker;
  reporter: RejectionReporter;
  validator: KlineValidator;
  log: Logger;
  /** Longest range fetched; older missing candles stay a gap. */
  maxCandles: number;
}

export async function backfillRange(d: BackfillDeps, r: GapRange, signal: AbortSignal): Promise<Candle[]> {
  const tf = timeframeMs(d.timeframe);
  let from = r.from;
  if ((r.to - from) / tf + 1 > d.maxCandles) {
    from = r.to - (d.maxCandles - 1) * tf;
    d.log.warn({ symbol: r.symbol, from: new Date(r.from).toISOString(), max: d.maxCandles }, 'gap longer than maxBackfillCandles: its oldest part stays a gap');
  }
  const out: Candle[] = [];
  const source = d.venue.name;
  const onRows = async (rows: ParsedFrame[]) => {
    const now = d.clock.now();
    for (const parsed of rows) {
      if (parsed.kind === 'ignore') continue;
      if (parsed.kind === 'malformed') {
        d.reporter.count('bad_shape', r.symbol, parsed.message, parsed.values);
        continue;
      }
      // A venue may return the candle still forming as its last row; and pages may run past the range.
      if (parsed.kline.openTime + tf > now || parsed.kline.openTime > r.to) continue;
      const check = d.validator.toCandle(parsed.kline);
      if (!check.ok) {
        d.reporter.report(check);
        continue;
      }
      const verdict = d.tracker.check(check.candle);
      if (verdict.kind === 'duplicate' || verdict.kind === 'out_of_order') continue; // overlaps what we have
      if (verdict.kind === 'gap') candleGaps.inc({ source, resolution: 'exchange_missing' });
      d.tracker.commit(check.candle);
      out.push(check.candle);
    }
  };
  try {
    await d.venue.fetchRange(
      {
        exchangeSymbol: d.venue.exchangeSymbol(r.symbol),
        timeframe: d.timeframe,
        from,
        to: r.to,
        signal,
        onRetry: (err, attempt) => {
          backfillFailures.inc();
          d.log.warn({ err, attempt, symbol: r.symbol }, 'backfill request failed; retrying');
        },
      },
      onRows,
    );
  } catch (err) {
    if (signal.aborted) return out;
    backfillFailures.inc();
    d.log.error({ err, symbol: r.symbol, from: new Date(from).toISOString(), to: new Date(r.to).toISOString() }, 'backfill failed; the gap stays');
  }
  return out;
}
