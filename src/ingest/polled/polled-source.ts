/**
 * A live feed over a REST-polled venue (polled/venue.ts): at every candle close, plus a settle
 * delay for the venue to finalise the candle, each series is fetched from its last delivered open
 * time on, page by page, so whatever was missed (a restart, an outage, a dropped request) is
 * backfilled by the same request that brings the new candle: every gap is filled before the next
 * candle of its series is delivered.
 *
 * - Only closed candles are delivered: `complete: false` rows and rows whose close lies after the
 *   clock are dropped, never emitted.
 * - Every row is validated at the edge (ingest/validate.ts) and sequenced (series.ts): duplicates and
 *   late rows are rejected with a log line and a metric.
 * - A hole the venue has no candles for is a gap that stays (logged once, counted `unfilled`),
 *   unless the venue says its market was shut then (forex weekends): that is no gap at all.
 * - A failed request is retried with the jittered, capped backoff (a 429 waits at least its
 *   Retry-After); meanwhile the status is `reconnecting`. A fatal answer (bad credentials, unknown
 *   instrument) fails the source, which the daemon reports and exits on.
 * - An optional liveness monitor (OANDA's pricing-stream heartbeats) tells a dead connection from a
 *   quiet market: while it reports down, the status is `reconnecting`.
 */
import type { Logger } from '../../log.ts';
import type { Candle } from '../../domain/candle.ts';
import type { Clock } from '../../domain/clock.ts';
import { mergeTicks } from '../merge.ts';
import { backfillCandles, candleGaps, candlesDelivered, feedConnected, feedReconnects } from '../metrics.ts';
import type { CandleSink, SourceKind } from '../source.ts';
import type { Timeframe } from '../../domain/timeframe.ts';
import { backoffDelay, sleep, type StepBackoff } from '../../domain/timing.ts';
import { checkRules } from '../validate.ts';
import { VenueSeriesSource } from '../venue-series.ts';
import type { CandleVenue, VenueCandle, VenueFailure } from './venue.ts';

/** Tells a dead connection from a quiet market (OANDA: heartbeats on the pricing stream). */
export interface Liveness {
  start(signal: AbortSignal): void;
  readonly alive: boolean;
  onChange(listener: (alive: boolean) => void): void;
}

export interface PolledSourceOptions {
  kind: SourceKind;
  venue: CandleVenue;
  symbols: readonly string[];
  timeframe: Timeframe;
  clock?: Clock;
  log?: Logger;
  /** Last stored open time per symbol: the first poll backfills from there (restart). */
  resume?: ReadonlyMap<string, number>;
  /** For a symbol with no resume point, fetch this many recent closed candles first. Default 0. */
  warmupCandles?: number;
  /** How long after a candle's close to ask for it. Default 2 s. */
  settleMs?: number;
  backoff?: StepBackoff;
  futureToleranceMs?: number;
  /** Longest stretch backfilled at once; beyond it the oldest part stays a gap. Default 10,000 candles. */
  maxBackfillCandles?: number;
  liveness?: Liveness;
}

function failureOf(err: unknown): VenueFailure {
  const e = err as Partial<VenueFailure> | undefined;
  return { retryable: e?.retryable ?? true, retryAfterMs: e?.retryAfterMs };
}

export class PolledSource extends VenueSeriesSource {
  private readonly venue: CandleVenue;
  private readonly gapLogged = new Set<string>();
  private healthy = false;
  private everPolled = false;
  private backfilling = false;

  constructor(private readonly opts: PolledSourceOptions) {
    super({ ...opts, module: opts.venue.name });
    this.venue = opts.venue;
  }

  protected async run(sink: CandleSink, signal: AbortSignal): Promise<void> {
    this.opts.liveness?.onChange((alive) => {
      if (!alive) feedReconnects.inc({ cause: 'heartbeat_timeout' });
      this.log[alive ? 'info' : 'warn']({ venue: this.venue.name }, alive ? 'venue heartbeats resumed' : 'venue heartbeats stopped: connection presumed dead');
      this.updateStatus();
    });
    this.opts.liveness?.start(signal);
    this.updateStatus();
    const waitUntil = (at: number, s: AbortSignal) => (this.clock.sleepUntil ? this.clock.sleepUntil(at, s) : sleep(at - this.clock.now(), s));
    const settle = this.opts.settleMs ?? 2_000;
    for (let attempt = 0; !signal.aborted; ) {
      try {
        await this.pollAll(sink, signal);
        if (signal.aborted) return;
        if (!this.healthy) this.log.info({ venue: this.venue.name, series: this.series.length }, 'venue polled');
        this.healthy = this.everPolled = true;
        attempt = 0;
        this.updateStatus();
        const nextClose = Math.floor(this.clock.now() / this.tf) * this.tf + this.tf;
        await waitUntil(nextClose + settle, signal);
      } catch (err) {
        if (signal.aborted) return;
        const f = failureOf(err);
        if (!f.retryable) throw err;
        this.healthy = false;
        feedReconnects.inc({ cause: 'poll_failed' });
        this.updateStatus();
        const delay = Math.max(backoffDelay(attempt++, this.backoff), f.retryAfterMs ?? 0);
        this.log.warn({ err, venue: this.venue.name, retryInMs: delay }, 'venue request failed; retrying');
        await sleep(delay, signal);
      }
    }
  }

  protected override async cleanup(): Promise<void> {
    this.reporter.flush();
    feedConnected.set(0);
  }

  private updateStatus(): void {
    const alive = this.healthy && (this.opts.liveness?.alive ?? true);
    feedConnected.set(alive ? 1 : 0);
    this.setStatus(this.backfilling ? 'backfilling' : alive ? 'streaming' : this.everPolled ? 'reconnecting' : 'connecting');
  }

  /**
   * Every series from its last candle up to the newest closed one, delivered as merged ticks.
   * Nothing is sequenced until every series was fetched: a request that fails half way leaves the
   * tracker as it was, so the next poll asks for the same candles again and none is lost.
   */
  private async pollAll(sink: CandleSink, signal: AbortSignal): Promise<void> {
    const newest = Math.floor(this.clock.now() / this.tf) * this.tf - this.tf;
    const perSymbol: Candle[][] = [];
    let behind = 0;
    for (const symbol of this.symbols) {
      const got = await this.fetchSeries(symbol, newest, signal);
      if (signal.aborted) return;
      behind = Math.max(behind, got.length);
      perSymbol.push(got);
    }
    this.backfilling = behind > 1;
    this.updateStatus();
    try {
      const ticks = [...mergeTicks(perSymbol)];
      for (const [i, tick] of ticks.entries()) {
        const candles = tick.candles.filter((c) => this.sequence(c));
        if (candles.length === 0) continue;
        const backfill = i < ticks.length - 1;
        await sink({ closeTime: tick.closeTime, candles, backfill });
        candlesDelivered.inc({ source: backfill ? `${this.kind}_backfill` : this.kind }, candles.length);
        if (backfill) backfillCandles.inc(candles.length);
      }
    } finally {
      this.backfilling = false;
    }
  }

  /** The closed, valid candles of one series after its last delivered one, oldest first. */
  private async fetchSeries(symbol: string, newest: number, signal: AbortSignal): Promise<Candle[]> {
    const last = this.tracker.last(symbol, this.timeframe);
    const max = this.opts.maxBackfillCandles ?? 10_000;
    const warmup = this.opts.warmupCandles ?? 0;
    let from = last !== undefined ? last + this.tf : newest - (Math.max(warmup, 1) - 1) * this.tf;
    if (newest - from >= max * this.tf) {
      const skipTo = newest - (max - 1) * this.tf;
      this.log.warn({ symbol, from: new Date(from).toISOString(), to: new Date(skipTo).toISOString() }, 'gap longer than the backfill limit: the oldest part stays a gap');
      from = skipTo;
    }
    const out: Candle[] = [];
    while (from <= newest && !signal.aborted) {
      const limit = Math.min(this.venue.pageLimit, Math.round((newest - from) / this.tf) + 1);
      const rows = await this.venue.fetchCandles(symbol, this.timeframe, from, limit, signal);
      const start = from;
      for (const row of rows) {
        if (row.openTime < start) continue; // before what we asked for: already ours
        const c = this.validate(symbol, row);
        if (c && (out.length === 0 || c.openTime > out[out.length - 1]!.openTime)) out.push(c);
        if (row.openTime >= from) from = row.openTime + this.tf;
      }
      if (from === start || rows.length < limit) break;
    }
    return this.refetchHoles(symbol, last, out, signal);
  }

  /**
   * A hole in an answer while the market was open is asked for once more before it is accepted as a
   * gap: a venue's page can miss a candle it serves a moment later (replication lag, a rate-limited
   * shard). What the second answer still lacks, the venue does not have.
   */
  private async refetchHoles(symbol: string, last: number | undefined, got: Candle[], signal: AbortSignal): Promise<Candle[]> {
    const holes: [number, number][] = [];
    let prev = last;
    for (const c of got) {
      if (prev !== undefined && c.openTime - prev > this.tf && !this.venue.closedThroughout?.(prev + this.tf, c.openTime - this.tf, this.timeframe)) {
        holes.push([prev + this.tf, c.openTime - this.tf]);
      }
      prev = c.openTime;
    }
    if (holes.length === 0) return got;
    const extra: Candle[] = [];
    for (const [from, to] of holes.slice(0, 100)) {
      const n = Math.round((to - from) / this.tf) + 1;
      const rows = await this.venue.fetchCandles(symbol, this.timeframe, from, Math.min(n, this.venue.pageLimit), signal);
      for (const row of rows) {
        if (row.openTime < from || row.openTime > to) continue;
        const c = this.validate(symbol, row);
        if (c) extra.push(c);
      }
    }
    if (extra.length === 0) return got;
    const byTime = new Map([...got, ...extra].map((c) => [c.openTime, c]));
    return [...byTime.values()].sort((a, b) => a.openTime - b.openTime);
  }

  private validate(symbol: string, row: VenueCandle): Candle | undefined {
    if (row.complete === false) return undefined; // still forming: never ours
    const now = this.clock.now();
    if (row.openTime + this.tf > now) return undefined;
    const { complete: _complete, ...values } = row;
    const check = checkRules({ symbol, timeframe: this.timeframe, ...values }, { now, futureToleranceMs: this.tolerance, timeframe: this.timeframe });
    if (check.ok) return check.candle;
    this.reporter.report(check);
    return undefined;
  }

  /** Sequences a candle against what was delivered; false for a duplicate or a late one. */
  private sequence(c: Candle): boolean {
    const verdict = this.tracker.check(c);
    if (verdict.kind === 'duplicate' || verdict.kind === 'out_of_order') {
      this.reporter.count(verdict.kind, c.symbol, `${c.symbol} ${new Date(c.openTime).toISOString()} is not after the last closed candle`, c);
      return false;
    }
    if (verdict.kind === 'gap') this.noteGap(c.symbol, verdict.from, verdict.to, verdict.missing);
    this.tracker.commit(c);
    return true;
  }

  private noteGap(symbol: string, from: number, to: number, missing: number): void {
    if (this.venue.closedThroughout?.(from, to, this.timeframe)) return; // the market was shut: no gap
    candleGaps.inc({ source: this.kind, resolution: 'unfilled' });
    const key = `${symbol}|${from}`;
    if (this.gapLogged.has(key)) return;
    if (this.gapLogged.size > 10_000) this.gapLogged.clear();
    this.gapLogged.add(key);
    this.log.info({ symbol, missing, from: new Date(from).toISOString(), to: new Date(to).toISOString() }, 'the venue has no candles here: the gap stays');
  }
}
