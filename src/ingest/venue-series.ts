/**
 * What every live venue's source shares (the websocket base, live/source.ts, and the REST-polled
 * one, polled/polled-source.ts): its series, the clock that decides what is closed, the tracker
 * that sequences each series (seeded with the store's resume points), the rejection reporter, the
 * retry backoff and the future tolerance of validation.
 */
import { systemClock, type Clock } from '../domain/clock.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import { DEFAULT_BACKOFF, type StepBackoff } from '../domain/timing.ts';
import { rootLogger, type Logger } from '../log.ts';
import { RejectionReporter } from './rejections.ts';
import { SeriesTracker } from './series.ts';
import { BaseSource, type SourceKind } from './source.ts';
import { DEFAULT_FUTURE_TOLERANCE_MS } from './validate.ts';

export interface VenueSeriesOptions {
  kind: SourceKind;
  /** The log's `module`: the venue's name. */
  module: string;
  symbols: readonly string[];
  timeframe: Timeframe;
  clock?: Clock;
  log?: Logger;
  backoff?: StepBackoff;
  futureToleranceMs?: number;
  /** Last stored open time per symbol: where each series continues (restart). */
  resume?: ReadonlyMap<string, number>;
}

export abstract class VenueSeriesSource extends BaseSource {
  readonly kind: SourceKind;

  protected readonly tf: number;
  protected readonly clock: Clock;
  protected readonly tracker = new SeriesTracker();
  protected readonly reporter: RejectionReporter;
  protected readonly backoff: StepBackoff;
  protected readonly tolerance: number;

  constructor(o: VenueSeriesOptions) {
    super(
      (o.log ?? rootLogger()).child({ module: o.module }),
      o.symbols.map((symbol) => ({ symbol, timeframe: o.timeframe })),
    );
    this.kind = o.kind;
    this.tf = timeframeMs(o.timeframe);
    this.clock = o.clock ?? systemClock;
    this.reporter = new RejectionReporter(this.log);
    this.backoff = o.backoff ?? DEFAULT_BACKOFF;
    this.tolerance = o.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS;
    for (const [symbol, openTime] of o.resume ?? []) if (this.symbols.includes(symbol)) this.tracker.seed(symbol, this.timeframe, openTime);
  }
}
