/**
 * Candle history: closed candles written to ml_candles through the Store, batched, and read back at
 * start so each symbol's indicators warm up from stored history instead of waiting for new candles.
 *
 * Writes never block the feed: append() only buffers. A timer (and a full batch) flushes; a failed
 * write keeps its candles and is retried at the next flush. The buffer is bounded: past maxBuffered
 * (a long store outage) the oldest candles are dropped, counted in candle_history_dropped_total and
 * logged; the live feed backfills nothing for them, but the exchange still has them.
 * Retention: candles older than retentionMs before the newest candle seen are pruned periodically
 * (relative to data time, so replaying 2018 data does not prune what it just wrote).
 */
import type { Candle } from '../domain/candle.ts';
import type { Timeframe } from '../domain/timeframe.ts';
import type { Logger } from '../log.ts';
import { rootLogger } from '../log.ts';
import type { Store } from '../store/store.ts';
import { historyDropped, historyWriteFailures, historyWritten } from './metrics.ts';

export type CandleHistoryStore = Pick<Store, 'upsertCandles' | 'readCandles' | 'pruneCandles'>;

export interface CandleHistoryOptions {
  log?: Logger;
  /** A buffer this full is flushed at once. Default 500. */
  batchSize?: number;
  /** Flush at least this often. Default 1,000 ms. */
  flushIntervalMs?: number;
  /** Upper bound on buffered candles; beyond it the oldest are dropped. Default 100,000. */
  maxBuffered?: number;
  /** Keep this much history by open time; undefined keeps everything. */
  retentionMs?: number;
  /** How often retention runs. Default one hour. */
  pruneIntervalMs?: number;
}

/** Candles per upsert round trip. */
const WRITE_CHUNK = 1_000;

export class CandleHistory {
  private buffer: Candle[] = [];
  private writing: Promise<void> | undefined;
  private newest = Number.NEGATIVE_INFINITY;
  private droppedTotal = 0;
  private flushTimer: NodeJS.Timeout | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopping: Promise<void> | undefined;
  private readonly log: Logger;
  private readonly batchSize: number;
  private readonly maxBuffered: number;

  constructor(
    private readonly store: CandleHistoryStore,
    private readonly opts: CandleHistoryOptions = {},
  ) {
    this.log = (opts.log ?? rootLogger()).child({ module: 'history' });
    this.batchSize = opts.batchSize ?? 500;
    this.maxBuffered = opts.maxBuffered ?? 100_000;
  }

  /** Candles buffered and not yet written. */
  get pending(): number {
    return this.buffer.length;
  }

  start(): void {
    if (this.flushTimer || this.stopping) return;
    this.flushTimer = setInterval(() => void this.flushQuietly(), this.opts.flushIntervalMs ?? 1_000);
    this.flushTimer.unref();
    if (this.opts.retentionMs !== undefined) {
      this.pruneTimer = setInterval(() => void this.prune().catch((err) => this.log.warn({ err }, 'candle retention failed')), this.opts.pruneIntervalMs ?? 3_600_000);
      this.pruneTimer.unref();
    }
  }

  /** Buffers candles for writing; never waits for the store. */
  append(candles: readonly Candle[]): void {
    if (this.stopping) {
      this.log.warn({ candles: candles.length }, 'candles appended after stop were not stored');
      return;
    }
    for (const c of candles) {
      this.buffer.push(c);
      if (c.openTime > this.newest) this.newest = c.openTime;
    }
    const excess = this.buffer.length - this.maxBuffered;
    if (excess > 0) {
      this.buffer.splice(0, excess);
      this.droppedTotal += excess;
      historyDropped.inc(excess);
      this.log.error({ dropped: excess, maxBuffered: this.maxBuffered }, 'candle history buffer full (store failing?): oldest candles dropped');
    }
    if (this.buffer.length >= this.batchSize) void this.flushQuietly();
  }

  /** Writes everything buffered now. Rejects when the store fails (the candles stay buffered). */
  flush(): Promise<void> {
    this.writing ??= this.writeAll().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  /** The newest `n` stored candles of a series, oldest first, to prime indicators. */
  async warmup(symbol: string, timeframe: Timeframe, n: number): Promise<Candle[]> {
    if (n <= 0) return [];
    return this.store.readCandles({ symbol, timeframe, latest: true, limit: n });
  }

  /** The open time of the newest stored candle per symbol (resume points for a live feed). */
  async lastOpenTimes(symbols: readonly string[], timeframe: Timeframe): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    for (const symbol of symbols) {
      const [last] = await this.store.readCandles({ symbol, timeframe, latest: true, limit: 1 });
      if (last) out.set(symbol, last.openTime);
    }
    return out;
  }

  /** Deletes candles older than the retention before the newest candle seen; returns how many. */
  async prune(): Promise<number> {
    if (this.opts.retentionMs === undefined || !Number.isFinite(this.newest)) return 0;
    const cutoff = this.newest - this.opts.retentionMs;
    const n = await this.store.pruneCandles(cutoff);
    if (n > 0) this.log.info({ pruned: n, before: new Date(cutoff).toISOString() }, 'candle retention');
    return n;
  }

  /** Stops the timers and writes what is buffered (idempotent). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      if (this.flushTimer) clearInterval(this.flushTimer);
      if (this.pruneTimer) clearInterval(this.pruneTimer);
      try {
        await this.writing;
      } catch {
        // retried below
      }
      try {
        await this.flush();
      } catch (err) {
        this.log.error({ err, lost: this.buffer.length }, 'final candle history write failed; these candles were not stored');
      }
    })();
    return this.stopping;
  }

  private async writeAll(): Promise<void> {
    while (this.buffer.length > 0) {
      const chunk = this.buffer.slice(0, WRITE_CHUNK);
      const droppedBefore = this.droppedTotal;
      try {
        await this.store.upsertCandles(chunk);
      } catch (err) {
        historyWriteFailures.inc();
        throw err;
      }
      // Appends during the write went to the end; drops (always from the front) may have taken part of the chunk.
      const alreadyGone = Math.min(chunk.length, this.droppedTotal - droppedBefore);
      this.buffer.splice(0, chunk.length - alreadyGone);
      historyWritten.inc(chunk.length);
    }
  }

  private async flushQuietly(): Promise<void> {
    try {
      await this.flush();
    } catch (err) {
      this.log.warn({ err, pending: this.buffer.length }, 'candle history write failed; retrying at the next flush');
    }
  }
}
