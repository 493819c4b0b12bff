/**
 * The outcome tracker (DESIGN.md "Barriers"): walks every published signal forward on later candles
 * of its series and resolves it, with the same step function the label builder uses (stepTrade).
 *
 * - BUY / SELL: an OpenTrade rebuilt from the stored entry, stop loss and take profit (and the
 *   barrier horizon and fee recorded with the signal, else the tracker's own), so a signal reloaded
 *   after a restart walks exactly as it would have live. It resolves TP_HIT, SL_HIT or EXPIRED.
 * - HOLD: two OpenTrades, long and short, from ATR at entry (technical_indicators.atr_value), stepped
 *   together; once both have resolved the HOLD resolves NO_TRADE, correct when the triple-barrier
 *   label is HOLD (labelOf, holdWasCorrect's rule). Without ATR (warm-up) it cannot be judged: it
 *   resolves NO_TRADE at the horizon, correctness unknown.
 * - A candle is used by a signal only when it is newer than the last candle that signal used
 *   (initially its own candle), so older, duplicate and replayed candles are ignored per signal.
 * - onCandle does work proportional to the open signals of that one series.
 * - Bounded: at most `maxOpenPerSeries` open signals per (symbol, timeframe); at the cap a new signal
 *   is not tracked (counted in tracker_rejected_total{reason="cap"}, logged); it stays unresolved
 *   in the store and is reloaded at the next restart.
 * - Restart: `restore` reloads the open signals (store.openPredictions) and replays the candles
 *   stored after them (store.readCandles). Live candles arriving meanwhile are buffered and applied
 *   afterwards; their resolutions are returned by `restore`, not by `onCandle`.
 *
 * The tracker holds no timers or connections, so it has no start/stop: it is plain state.
 */
import {
  checkParams,
  labelOf,
  stepTrade,
  type BarrierParams,
  type BarrierResult,
  type OpenTrade,
} from '../domain/barrier.ts';
import type { Candle } from '../domain/candle.ts';
import type { PredictionRecord } from '../domain/prediction.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import { rootLogger, type Logger } from '../log.ts';
import { trackerCandlesDropped, trackerOpenSignals, trackerRejected, trackerResolved } from './metrics.ts';
import { buildResolution, type Resolution, type ResolvedSignal } from './resolution.ts';
import { holdSides, tradeFromPrediction } from './watch.ts';

export type { ResolvedSignal, OutcomeMessage } from './resolution.ts';

export interface TrackerOptions {
  /** The configured barrier parameters (config.barrier); stored per-signal values take precedence. */
  barrier: BarrierParams;
  /** Open signals per (symbol, timeframe). Default 1,000. */
  maxOpenPerSeries?: number;
  /** Live candles held while `restore` runs. Default 10,000. */
  maxBufferedCandles?: number;
  log?: Logger;
}

/** Reads the stored candles of a series with open time >= fromTime, oldest first. */
export type CandlesAfter = (symbol: string, timeframe: Timeframe, fromTime: number) => Promise<Candle[]>;

export interface RestoreResult {
  /** Open signals taken back into tracking. */
  restored: number;
  /** Signals resolved from stored candles (and from live candles buffered meanwhile). */
  resolved: ResolvedSignal[];
  /** Series whose stored candles could not be read: their signals are not tracked this run. */
  failed: Array<{ symbol: string; timeframe: Timeframe; error: unknown }>;
}

interface TradeWatch {
  kind: 'trade';
  p: PredictionRecord;
  lastTime: number;
  trade: OpenTrade;
}

interface HoldWatch {
  kind: 'hold';
  p: PredictionRecord;
  lastTime: number;
  horizon: number;
  bars: number;
  long: OpenTrade | null;
  short: OpenTrade | null;
  longResult: BarrierResult | null;
  shortResult: BarrierResult | null;
  maxHigh: number;
  minLow: number;
}

type Watch = TradeWatch | HoldWatch;

const seriesKey = (symbol: string, timeframe: string) => `${symbol}|${timeframe}`;

export class OutcomeTracker {
  private readonly series = new Map<string, Watch[]>();
  private readonly ids = new Set<string>();
  private readonly barrier: BarrierParams;
  private readonly maxOpen: number;
  private readonly maxBuffered: number;
  private readonly log: Logger;
  /** Non-null while restore runs: live candles wait here. */
  private buffered: Candle[] | null = null;

  constructor(opts: TrackerOptions) {
    checkParams(opts.barrier);
    this.barrier = { ...opts.barrier };
    this.maxOpen = opts.maxOpenPerSeries ?? 1_000;
    this.maxBuffered = opts.maxBufferedCandles ?? 10_000;
    if (!(Number.isInteger(this.maxOpen) && this.maxOpen >= 1)) throw new RangeError(`maxOpenPerSeries must be a positive integer, got ${this.maxOpen}`);
    this.log = (opts.log ?? rootLogger()).child({ module: 'tracker' });
  }

  /** Open signals across all series. */
  get openCount(): number {
    return this.ids.size;
  }

  isTracking(id: string): boolean {
    return this.ids.has(id);
  }

  /**
   * Starts walking a published signal. Returns false when it is not tracked: already tracked,
   * already resolved, the series is at its cap, or its stored barriers are unusable.
   */
  track(p: PredictionRecord): boolean {
    if (this.ids.has(p.id) || (p.actualOutcome ?? null) !== null) return false;
    const key = seriesKey(p.symbol, p.timeframe);
    let list = this.series.get(key);
    if (list && list.length >= this.maxOpen) {
      trackerRejected.inc({ reason: 'cap' });
      this.log.warn({ id: p.id, symbol: p.symbol, timeframe: p.timeframe, cap: this.maxOpen }, 'open signal cap reached; signal not tracked');
      return false;
    }
    const watch = this.watchFor(p);
    if (!watch) return false;
    if (!list) this.series.set(key, (list = []));
    list.push(watch);
    this.ids.add(p.id);
    trackerOpenSignals.inc();
    return true;
  }

  /** Steps every open signal of the candle's series; returns those it resolves. */
  onCandle(c: Candle): ResolvedSignal[] {
    if (this.buffered) {
      if (this.buffered.length >= this.maxBuffered) {
        trackerCandlesDropped.inc();
        return [];
      }
      this.buffered.push(c);
      return [];
    }
    return this.step(c);
  }

  /**
   * Takes the store's open signals back into tracking and resolves them from the candles stored
   * after them. Call once at start, before or while live candles flow.
   */
  async restore(predictions: readonly PredictionRecord[], candlesAfter: CandlesAfter): Promise<RestoreResult> {
    if (this.buffered) throw new RangeError('restore is already running');
    this.buffered = [];
    const result: RestoreResult = { restored: 0, resolved: [], failed: [] };
    try {
      const from = new Map<string, { symbol: string; timeframe: Timeframe; time: number; ids: string[] }>();
      for (const p of predictions) {
        if (!this.track(p)) continue;
        result.restored++;
        const key = seriesKey(p.symbol, p.timeframe);
        const f = from.get(key);
        if (!f) from.set(key, { symbol: p.symbol, timeframe: p.timeframe, time: p.candleTime, ids: [p.id] });
        else {
          f.time = Math.min(f.time, p.candleTime);
          f.ids.push(p.id);
        }
      }
      for (const f of from.values()) {
        let candles: Candle[];
        try {
          candles = await candlesAfter(f.symbol, f.timeframe, f.time + 1);
        } catch (error) {
          result.failed.push({ symbol: f.symbol, timeframe: f.timeframe, error });
          this.untrack(f.symbol, f.timeframe, new Set(f.ids));
          trackerRejected.inc({ reason: 'restore_failed' }, f.ids.length);
          this.log.error({ err: error, symbol: f.symbol, timeframe: f.timeframe, signals: f.ids.length }, 'cannot read stored candles; open signals left for the next restart');
          continue;
        }
        for (const c of candles) result.resolved.push(...this.step(c));
      }
    } finally {
      const live = this.buffered;
      this.buffered = null;
      for (const c of live) result.resolved.push(...this.step(c));
    }
    return result;
  }

  private watchFor(p: PredictionRecord): Watch | null {
    if (p.predictedDirection === 'HOLD') {
      const { long, short, horizon } = holdSides(p, this.barrier);
      return { kind: 'hold', p, lastTime: p.candleTime, horizon, bars: 0, long, short, longResult: null, shortResult: null, maxHigh: p.entryPrice, minLow: p.entryPrice };
    }
    const trade = tradeFromPrediction(p, this.barrier);
    if (!trade) {
      trackerRejected.inc({ reason: 'invalid_barriers' });
      this.log.warn(
        { id: p.id, entry: p.entryPrice, stopLoss: p.stopLoss, takeProfit: p.takeProfit, atr: p.technicalIndicators.atr_value },
        'signal has no usable stop loss / take profit; not tracked',
      );
      return null;
    }
    return { kind: 'trade', p, lastTime: p.candleTime, trade };
  }

  private step(c: Candle): ResolvedSignal[] {
    const key = seriesKey(c.symbol, c.timeframe);
    const list = this.series.get(key);
    if (!list || list.length === 0) return [];
    const out: ResolvedSignal[] = [];
    let kept = 0;
    for (let i = 0; i < list.length; i++) {
      const w = list[i]!;
      const r = c.openTime > w.lastTime ? this.advance(w, c) : null;
      if (r) {
        out.push(buildResolution(w.p, r));
        this.ids.delete(w.p.id);
        trackerOpenSignals.dec();
        trackerResolved.inc({ outcome: r.outcome });
      } else {
        list[kept++] = w;
      }
    }
    list.length = kept;
    if (kept === 0) this.series.delete(key);
    return out;
  }

  private advance(w: Watch, c: Candle): Resolution | null {
    w.lastTime = c.openTime;
    if (w.kind === 'trade') {
      const r = stepTrade(w.trade, c.high, c.low, c.close, 0);
      return r && { outcome: r.outcome, exitPrice: r.exitPrice, pnlPct: r.pnlPct, barsHeld: r.barsHeld, maxProfitPct: r.maxProfitPct, maxLossPct: r.maxLossPct, exitCandleTime: c.openTime };
    }
    w.bars += 1;
    if (c.high > w.maxHigh) w.maxHigh = c.high;
    if (c.low < w.minLow) w.minLow = c.low;
    if (w.long && !w.longResult) w.longResult = stepTrade(w.long, c.high, c.low, c.close, 0);
    if (w.short && !w.shortResult) w.shortResult = stepTrade(w.short, c.high, c.low, c.close, 0);
    let holdCorrect: boolean | null;
    if (w.longResult && w.shortResult) holdCorrect = labelOf(w.longResult, w.shortResult) === 'HOLD';
    else if (!w.long && w.bars >= w.horizon) holdCorrect = null;
    else return null;
    const entry = w.p.entryPrice;
    return {
      outcome: 'NO_TRADE',
      exitPrice: c.close,
      pnlPct: 0,
      barsHeld: w.bars,
      maxProfitPct: 100 * (w.maxHigh / entry - 1),
      maxLossPct: 100 * (w.minLow / entry - 1),
      exitCandleTime: c.openTime,
      holdCorrect,
    };
  }

  private untrack(symbol: string, timeframe: string, ids: ReadonlySet<string>): void {
    const key = seriesKey(symbol, timeframe);
    const list = this.series.get(key);
    if (!list) return;
    const kept = list.filter((w) => !ids.has(w.p.id));
    for (const w of list) {
      if (ids.has(w.p.id) && this.ids.delete(w.p.id)) trackerOpenSignals.dec();
    }
    if (kept.length === 0) this.series.delete(key);
    else this.series.set(key, kept);
  }
}
