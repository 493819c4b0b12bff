/**
 * The CandleSource port: every feed (replay, synthetic, exchange websocket) turns its input into
 * validated closed candles and hands them to one sink, in ticks.
 *
 * Delivery contract
 * - The sink receives `CandleBatch`es: the candles of several symbols that closed at the same
 *   instant (a "tick"), so the daemon can micro-batch indicators and inference across symbols.
 *   A replay delivers one batch per close instant across all merged files; synthetic one per step;
 *   a live feed one per open time, emitted when every subscribed symbol has reported or a short linger
 *   has passed (a straggler then arrives in a later batch of its own).
 * - Within a series (symbol, timeframe) candles arrive strictly increasing in open time, never
 *   duplicated. Live feeds fill gaps before the next candle of the series; a replay leaves the gaps
 *   of its files as they are.
 * - The source awaits the sink before the next batch: that is the backpressure. A live feed buffers
 *   frames meanwhile in a bounded queue (see live/source.ts for the policy at the bound).
 * - A sink that throws is a bug in the consumer: the source goes `failed` and `finished` rejects.
 *
 * Lifecycle: start(sink) once; stop() is idempotent (a memoised promise). `finished` resolves when a
 * finite feed has delivered everything (status `ended`) or the source was stopped; it rejects when
 * the source failed.
 */
import type { Candle } from '../domain/candle.ts';
import { SignalbaseError } from '../domain/errors.ts';
import { timeframeMs, type Timeframe } from '../domain/timeframe.ts';
import type { Logger } from '../log.ts';

export type SourceStatus = 'idle' | 'connecting' | 'streaming' | 'backfilling' | 'reconnecting' | 'ended' | 'stopped' | 'failed';
/** The feed scheme that made the source: `replay`, `synthetic`, or a live venue's name (`binance`). */
export type SourceKind = string;

/** Candles that closed at the same instant. */
export interface CandleBatch {
  /** The shared close instant, openTime + timeframe (epoch ms). */
  closeTime: number;
  /** At most one candle per series, ordered by symbol. */
  candles: readonly Candle[];
  /** True when the candles were recovered by a REST backfill rather than streamed live. */
  backfill: boolean;
}

export type CandleSink = (batch: CandleBatch) => Promise<void> | void;

export interface SeriesInfo {
  symbol: string;
  timeframe: Timeframe;
}

export interface CandleSource {
  readonly kind: SourceKind;
  /** Every (symbol, timeframe) this source delivers. */
  readonly series: readonly SeriesInfo[];
  readonly symbols: readonly string[];
  /** The timeframe of the feed; with mixed timeframes (a replay of several files) the shortest. */
  readonly timeframe: Timeframe;
  readonly status: SourceStatus;
  /** Why the source failed, when status is `failed`. */
  readonly error: Error | undefined;
  readonly finished: Promise<void>;
  /** Subscribes to status changes; returns the unsubscribe function. */
  onStatus(listener: (status: SourceStatus, previous: SourceStatus) => void): () => void;
  /** Starts delivering to `sink`. Resolves once running (a live feed then connects in the background). */
  start(sink: CandleSink): Promise<void>;
  stop(): Promise<void>;
}

/** start() called twice, or after stop(). */
export class SourceStateError extends SignalbaseError {
  constructor(message: string) {
    super('SOURCE_STATE', message);
  }
}

/**
 * The lifecycle shared by the sources: status with change events, one run loop, an AbortController
 * for its timers and sockets, a memoised stop(), and `finished`.
 */
export abstract class BaseSource implements CandleSource {
  abstract readonly kind: SourceKind;
  /** The series delivered, each once. */
  readonly series: readonly SeriesInfo[];
  /** Their symbols, each once, in the series' order. */
  readonly symbols: readonly string[];
  /** The shortest of their timeframes (the tick's step). */
  readonly timeframe: Timeframe;
  readonly finished: Promise<void>;

  protected readonly abort = new AbortController();
  private current: SourceStatus = 'idle';
  private failure: Error | undefined;
  private readonly listeners = new Set<(status: SourceStatus, previous: SourceStatus) => void>();
  private running: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private settle!: { resolve: () => void; reject: (err: Error) => void };

  constructor(
    protected readonly log: Logger,
    series: readonly SeriesInfo[],
  ) {
    const byKey = new Map<string, SeriesInfo>();
    for (const { symbol, timeframe } of series) byKey.set(`${symbol}|${timeframe}`, { symbol, timeframe });
    this.series = [...byKey.values()];
    this.symbols = [...new Set(this.series.map((s) => s.symbol))];
    this.timeframe = [...this.series].sort((a, b) => timeframeMs(a.timeframe) - timeframeMs(b.timeframe))[0]?.timeframe ?? '5m';
    this.finished = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    // Nobody may be listening; a failure is still reported through status, error and the log.
    this.finished.catch(() => undefined);
  }

  get status(): SourceStatus {
    return this.current;
  }

  get error(): Error | undefined {
    return this.failure;
  }

  onStatus(listener: (status: SourceStatus, previous: SourceStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  protected setStatus(next: SourceStatus): void {
    const previous = this.current;
    if (previous === next) return;
    // Terminal states are final.
    if (previous === 'ended' || previous === 'stopped' || previous === 'failed') return;
    this.current = next;
    this.log.debug({ status: next, previous }, 'feed status');
    for (const listener of this.listeners) {
      try {
        listener(next, previous);
      } catch (err) {
        this.log.error({ err }, 'feed status listener threw');
      }
    }
  }

  async start(sink: CandleSink): Promise<void> {
    if (this.running || this.stopping) throw new SourceStateError(`${this.kind} feed cannot start: it was already started or stopped`);
    const signal = this.abort.signal;
    this.running = this.run(sink, signal).then(
      () => {
        if (signal.aborted) return;
        this.setStatus('ended');
        this.settle.resolve();
      },
      (err: unknown) => {
        if (signal.aborted) return;
        this.failure = err instanceof Error ? err : new Error(String(err));
        this.log.error({ err: this.failure }, `${this.kind} feed failed`);
        this.setStatus('failed');
        this.settle.reject(this.failure);
      },
    );
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.abort.abort();
      try {
        await this.cleanup();
      } catch (err) {
        this.log.warn({ err }, `${this.kind} feed cleanup failed`);
      }
      try {
        await this.running;
      } catch {
        // already reported by the run loop's handler
      }
      this.setStatus('stopped');
      this.settle.resolve();
    })();
    return this.stopping;
  }

  /** Delivers everything, or runs until `signal` aborts. Must return promptly once aborted. */
  protected abstract run(sink: CandleSink, signal: AbortSignal): Promise<void>;

  /** Releases sockets and timers the run loop may be blocked on. */
  protected cleanup(): Promise<void> {
    return Promise.resolve();
  }
}
