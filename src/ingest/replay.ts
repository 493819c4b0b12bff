/**
 * The replay feed: one or more replay files merged in time order and delivered tick by tick,
 * as fast as possible (speed 0) or with the time between candles compressed `speed`-fold.
 * Missing steps stay gaps: nothing is invented, and each gap is logged once.
 */
import type { Candle } from '../domain/candle.ts';
import { systemClock, type Clock } from '../domain/clock.ts';
import { marketKindOf, marketShutThroughout } from '../domain/market-session.ts';
import { timeframeMs } from '../domain/timeframe.ts';
import { sleep, yieldToEventLoop } from '../domain/timing.ts';
import { rootLogger, type Logger } from '../log.ts';
import { mergeTicks } from './merge.ts';
import { candleGaps, candlesDelivered } from './metrics.ts';
import { RejectionReporter } from './rejections.ts';
import { readReplayFile, replayFileInfo } from './replay-file.ts';
import { SeriesTracker } from './series.ts';
import { BaseSource, type CandleSink, type SeriesInfo } from './source.ts';

export interface ReplayOptions {
  /** 0 (default): as fast as the sink takes them; N: N times faster than real time. */
  speed?: number;
  log?: Logger;
  /** Wall clock for pacing and the "not in the future" check. */
  clock?: Clock;
  /** At speed 0, yield to the event loop at least this often (ms of continuous work). */
  yieldEveryMs?: number;
}

export class ReplaySource extends BaseSource {
  readonly kind = 'replay' as const;
  readonly speed: number;
  private readonly clock: Clock;
  private readonly yieldEveryMs: number;

  /** Reads and validates every file now, so a bad file fails at startup (ConfigError, exit 2). */
  static async open(paths: readonly string[], opts: ReplayOptions = {}): Promise<ReplaySource> {
    const log = (opts.log ?? rootLogger()).child({ module: 'replay' });
    const reporter = new RejectionReporter(log);
    for (const p of paths) replayFileInfo(p); // name errors before any reading
    const data = await Promise.all(paths.map((p) => readReplayFile(p, { reporter, clock: opts.clock, log })));
    reporter.flush();
    return new ReplaySource(
      paths.map((p) => replayFileInfo(p)),
      data,
      { ...opts, log },
    );
  }

  constructor(
    infos: readonly SeriesInfo[],
    private readonly data: readonly (readonly Candle[])[],
    opts: ReplayOptions & { log: Logger },
  ) {
    super(opts.log, infos);
    this.speed = opts.speed ?? 0;
    this.clock = opts.clock ?? systemClock;
    this.yieldEveryMs = opts.yieldEveryMs ?? 10;
  }

  /** Number of candles the replay will deliver (after validation). */
  get candleCount(): number {
    return this.data.reduce((n, s) => n + s.length, 0);
  }

  protected async run(sink: CandleSink, signal: AbortSignal): Promise<void> {
    this.setStatus('streaming');
    const tracker = new SeriesTracker();
    const reporter = new RejectionReporter(this.log);
    let firstClose: number | undefined;
    const startedAt = this.clock.now();
    let lastYield = startedAt;
    for (const tick of mergeTicks(this.data)) {
      if (signal.aborted) return;
      if (this.speed > 0) {
        firstClose ??= tick.closeTime;
        const due = startedAt + (tick.closeTime - firstClose) / this.speed;
        await sleep(due - this.clock.now(), signal);
        if (signal.aborted) return;
      } else if (this.clock.now() - lastYield >= this.yieldEveryMs) {
        await yieldToEventLoop();
        lastYield = this.clock.now();
        if (signal.aborted) return;
      }
      const candles: Candle[] = [];
      for (const c of tick.candles) {
        const verdict = tracker.check(c);
        if (verdict.kind === 'duplicate' || verdict.kind === 'out_of_order') {
          // Two files for one series overlap: the first file's candle wins.
          reporter.count(verdict.kind, c.symbol, `two replay files hold ${c.symbol} ${c.timeframe} at ${new Date(c.openTime).toISOString()}`, c);
          continue;
        }
        if (verdict.kind === 'gap' && marketShutThroughout(marketKindOf(c.symbol), verdict.from, verdict.to, timeframeMs(c.timeframe))) {
          this.log.debug({ symbol: c.symbol, from: new Date(verdict.from).toISOString() }, 'replay: no candles while the market was shut (not a gap)');
        } else if (verdict.kind === 'gap') {
          candleGaps.inc({ source: 'replay', resolution: 'kept' });
          this.log.info(
            { symbol: c.symbol, timeframe: c.timeframe, missing: verdict.missing, from: new Date(verdict.from).toISOString(), to: new Date(verdict.to).toISOString() },
            `replay gap: ${c.symbol} ${c.timeframe} has no candle for ${verdict.missing} step(s); indicators continue over the candles that exist`,
          );
        }
        tracker.commit(c);
        candles.push(c);
      }
      if (candles.length === 0) continue;
      await sink({ closeTime: tick.closeTime, candles, backfill: false });
      candlesDelivered.inc({ source: 'replay' }, candles.length);
    }
    reporter.flush();
  }
}
