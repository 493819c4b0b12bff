/**
 * The live-feed base: one venue's candles for many symbols over one session (venue.ts), closed
 * candles only, with every gap filled from the venue's REST API before the next candle of its
 * series. An exchange adapter (ingest/<venue>/) supplies the session, the frame parser, the REST
 * range and its symbol spelling; all the rest is here, the same for every venue.
 *
 * Two loops share the work. The connection loop opens a session (connect + subscribe), waits for
 * it to end, and reconnects with jittered, capped backoff; after each successful subscription it
 * asks for a resync (backfill of every series from its last candle to now). The processing loop is
 * the only one that touches series state: it takes frames and resyncs from one bounded queue,
 * validates, backfills gaps, groups candles into ticks and awaits the sink. While the sink or a
 * backfill is slow, frames wait in the queue; when the queue is full new frames are dropped and
 * counted (feed_frames_dropped_total): the missing candle shows up as a gap at the next candle of
 * its series and is backfilled then, so the policy at the bound loses time, never data.
 */
import type { Candle } from '../../domain/candle.ts';
import type { Clock } from '../../domain/clock.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import { backoffDelay, sleep, type StepBackoff } from '../../domain/timing.ts';
import type { Logger } from '../../log.ts';
import { mergeTicks } from '../merge.ts';
import { backfillCandles, candleGaps, candlesDelivered, feedConnected, feedFramesDropped, feedReconnects } from '../metrics.ts';
import { BoundedQueue } from '../queue.ts';
import type { CandleBatch, CandleSink } from '../source.ts';
import { VenueSeriesSource } from '../venue-series.ts';
import { backfillRange, type BackfillDeps, type GapRange } from './backfill.ts';
import { KlineValidator } from './kline-candle.ts';
import { SymbolMap } from './symbols.ts';
import { TickAssembler } from './tick-assembler.ts';
import { FeedSubscribeError, type IncomingFrame, type LiveSession, type LiveVenue } from './venue.ts';

export interface LiveOptions {
  symbols: readonly string[];
  timeframe: Timeframe;
  /** "Now" for closed-candle and future checks; tests pass the fake exchange's virtual clock. */
  clock?: Clock;
  log?: Logger;
  /** Reconnect delays. Default 1 s, 2 s, 5 s, 10 s (cap), +-20% jitter. */
  backoff?: StepBackoff;
  /** No frame or pong within this long: the connection is stale. Default 30 s. */
  heartbeatMs?: number;
  connectTimeoutMs?: number;
  subscribeTimeoutMs?: number;
  /** How long a tick waits for the other symbols' candles. Default 250 ms. */
  lingerMs?: number;
  /** Frames buffered while the sink is busy. Default 10,000. */
  queueCapacity?: number;
  futureToleranceMs?: number;
  /** Longest gap backfilled at once; beyond it the oldest part stays a gap. Default 10,000 candles. */
  maxBackfillCandles?: number;
  /** Last stored open time per symbol: the first connection backfills from there (restart). */
  resume?: ReadonlyMap<string, number>;
  /** For a symbol with no resume point, fetch this many recent closed candles at the first connection. Default 0. */
  warmupCandles?: number;
}

type Inbound = { kind: 'frame'; frame: IncomingFrame } | { kind: 'resync' };

export class LiveSource extends VenueSeriesSource {
  private readonly validator: KlineValidator;
  private readonly backfillDeps: BackfillDeps;
  private readonly inbound: BoundedQueue<Inbound>;
  private readonly assembler: TickAssembler;
  private session: LiveSession | undefined;
  private connected = false;
  private everConnected = false;
  private backfilling = false;
  private resyncQueued = false;
  private dropped = 0;

  constructor(
    private readonly venue: LiveVenue,
    private readonly opts: LiveOptions,
  ) {
    super({ ...opts, kind: venue.name, module: venue.name });
    this.inbound = new BoundedQueue(opts.queueCapacity ?? 10_000);
    this.assembler = new TickAssembler(this.symbols.length, opts.lingerMs ?? 250);
    this.validator = new KlineValidator(new SymbolMap(this.symbols, venue), this.timeframe, this.clock, this.tolerance);
    this.backfillDeps = {
      venue,
      timeframe: this.timeframe,
      clock: this.clock,
      tracker: this.tracker,
      reporter: this.reporter,
      validator: this.validator,
      log: this.log,
      maxCandles: opts.maxBackfillCandles ?? 10_000,
    };
  }

  protected async run(sink: CandleSink, signal: AbortSignal): Promise<void> {
    const inner = new AbortController();
    const onAbort = () => inner.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    const results = await Promise.allSettled([
      this.processLoop(sink, inner.signal).finally(() => inner.abort()),
      this.connectLoop(inner.signal).finally(() => inner.abort()),
    ]);
    signal.removeEventListener('abort', onAbort);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  protected override async cleanup(): Promise<void> {
    this.session?.terminate('local');
    this.reporter.flush();
    feedConnected.set(0);
  }

  private updateStatus(): void {
    this.setStatus(this.backfilling ? 'backfilling' : this.connected ? 'streaming' : this.everConnected ? 'reconnecting' : 'connecting');
  }

  // ---- connection loop -------------------------------------------------------------------------

  private async connectLoop(signal: AbortSignal): Promise<void> {
    for (let attempt = 0; !signal.aborted; ) {
      this.updateStatus();
      try {
        this.session = await this.venue.open(
          {
            symbols: this.symbols,
            timeframe: this.timeframe,
            heartbeatMs: this.opts.heartbeatMs ?? 30_000,
            connectTimeoutMs: this.opts.connectTimeoutMs ?? 10_000,
            subscribeTimeoutMs: this.opts.subscribeTimeoutMs ?? 10_000,
            onFrame: (frame) => this.enqueue(frame),
            requestResync: () => this.requestResync(),
            log: this.log,
          },
          signal,
        );
        this.connected = this.everConnected = true;
        feedConnected.set(1);
        attempt = 0;
        this.updateStatus();
        this.requestResync();
        this.log.info({ venue: this.venue.name, symbols: this.symbols.length }, 'feed subscribed');
        const { cause, detail } = await this.session.closed;
        if (signal.aborted) break;
        feedReconnects.inc({ cause });
        this.log.warn({ cause, detail }, 'feed connection lost; reconnecting');
      } catch (err) {
        if (signal.aborted) break;
        const cause = err instanceof FeedSubscribeError ? 'subscribe_failed' : 'connect_failed';
        feedReconnects.inc({ cause });
        this.log.warn({ err, cause }, 'feed connection attempt failed');
      } finally {
        this.session?.terminate('local');
        this.session = undefined;
        this.connected = false;
        feedConnected.set(0);
        this.updateStatus();
      }
      await sleep(backoffDelay(attempt++, this.backoff), signal);
    }
  }

  private enqueue(frame: IncomingFrame): void {
    if (this.inbound.push({ kind: 'frame', frame })) return;
    feedFramesDropped.inc();
    if (this.dropped++ % 1000 === 0) {
      this.log.warn({ capacity: this.inbound.capacity, dropped: this.dropped }, 'feed queue full: dropping frames; the gaps are backfilled at the next candle');
    }
  }

  private requestResync(): void {
    if (this.resyncQueued) return;
    this.resyncQueued = true;
    this.inbound.pushControl({ kind: 'resync' });
  }

  // ---- processing loop -------------------------------------------------------------------------

  private async processLoop(sink: CandleSink, signal: AbortSignal): Promise<void> {
    const lingerMs = this.opts.lingerMs ?? 250;
    for (;;) {
      const item = await this.inbound.take(signal, this.assembler.msUntilDue());
      if (signal.aborted) return;
      if (item?.kind === 'frame') {
        const candle = this.candleFromFrame(item.frame);
        if (candle) await this.acceptLive(candle, sink, signal);
      } else if (item?.kind === 'resync') {
        this.resyncQueued = false;
        await this.resync(sink, signal);
      }
      // Frames still queued may complete a tick: while there are some, a late tick gets one more linger.
      await this.deliver(sink, this.assembler.takeDue(this.inbound.size > 0 ? lingerMs : 0), false);
    }
  }

  private candleFromFrame(frame: IncomingFrame): Candle | undefined {
    if (!frame.ok) {
      this.reporter.count('bad_shape', undefined, `frame is not JSON (${frame.error})`, frame.text);
      return undefined;
    }
    const parsed = this.venue.parseFrame(frame.value);
    if (parsed.kind === 'ignore') return undefined;
    if (parsed.kind === 'malformed') {
      this.reporter.count('bad_shape', undefined, parsed.message, parsed.values);
      return undefined;
    }
    if (!parsed.kline.closed) return undefined; // an update of the candle still open: not ours
    const check = this.validator.toCandle(parsed.kline);
    if (!check.ok) {
      this.reporter.report(check);
      return undefined;
    }
    return check.candle;
  }

  private async acceptLive(c: Candle, sink: CandleSink, signal: AbortSignal): Promise<void> {
    let verdict = this.tracker.check(c);
    if (verdict.kind === 'gap') {
      candleGaps.inc({ source: this.venue.name, resolution: 'backfill' });
      this.log.info({ symbol: c.symbol, missing: verdict.missing, from: new Date(verdict.from).toISOString() }, 'gap before live candle: backfilling');
      await this.backfill([{ symbol: c.symbol, from: verdict.from, to: verdict.to }], sink, signal);
      if (signal.aborted) return;
      verdict = this.tracker.check(c);
      if (verdict.kind === 'gap') {
        candleGaps.inc({ source: this.venue.name, resolution: 'unfilled' });
        this.log.warn({ symbol: c.symbol, missing: verdict.missing, from: new Date(verdict.from).toISOString() }, 'gap could not be backfilled; continuing after it');
      }
    }
    if (verdict.kind === 'duplicate' || verdict.kind === 'out_of_order') {
      this.reporter.count(verdict.kind, c.symbol, `${c.symbol} ${new Date(c.openTime).toISOString()} is not after the last closed candle`, c);
      return;
    }
    this.tracker.commit(c);
    await this.deliver(sink, this.assembler.add(c), false);
  }

  /** After (re)subscribing: every series from its last candle up to the last surely closed one. */
  private async resync(sink: CandleSink, signal: AbortSignal): Promise<void> {
    const to = Math.floor((this.clock.now() - this.tolerance) / this.tf) * this.tf - this.tf;
    const warmup = this.opts.warmupCandles ?? 0;
    const ranges = this.symbols.flatMap((symbol) => {
      const last = this.tracker.last(symbol, this.timeframe);
      if (last === undefined) return warmup > 0 ? [{ symbol, from: to - (warmup - 1) * this.tf, to }] : [];
      return last + this.tf <= to ? [{ symbol, from: last + this.tf, to }] : [];
    });
    if (ranges.length > 0) await this.backfill(ranges, sink, signal);
  }

  private async backfill(ranges: GapRange[], sink: CandleSink, signal: AbortSignal): Promise<void> {
    this.backfilling = true;
    this.updateStatus();
    try {
      const perSymbol: Candle[][] = [];
      for (const r of ranges) perSymbol.push(await backfillRange(this.backfillDeps, r, signal));
      if (signal.aborted) return;
      // A live candle of these series may be waiting in a tick; it is older than what was fetched.
      await this.deliver(sink, this.assembler.takeHolding(new Set(ranges.map((r) => r.symbol))), false);
      let n = 0;
      for (const tick of mergeTicks(perSymbol)) {
        n += tick.candles.length;
        await this.deliver(sink, [{ ...tick, backfill: true }], true);
      }
      backfillCandles.inc(n);
    } finally {
      this.backfilling = false;
      this.updateStatus();
    }
  }

  private async deliver(sink: CandleSink, batches: CandleBatch[], backfill: boolean): Promise<void> {
    for (const b of batches) {
      await sink(b);
      candlesDelivered.inc({ source: backfill ? `${this.venue.name}_backfill` : this.venue.name }, b.candles.length);
    }
  }
}
