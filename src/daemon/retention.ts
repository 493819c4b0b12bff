/**
 * CANDLE_RETENTION_DAYS: once an hour, stored candles older than the retention behind the newest
 * candle the pipeline has processed are pruned. Data time, not wall time, so replaying 2018 data
 * does not delete what it just stored.
 */
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

/** Starts the hourly pruning; returns the function that stops it. A retention of 0 keeps everything. */
export function startCandleRetention(store: Pick<Store, 'pruneCandles'>, keepMs: number, newest: () => number, log: Logger, everyMs = 3_600_000): () => void {
  if (!(keepMs > 0)) return () => undefined;
  const timer = setInterval(() => {
    const latest = newest();
    if (!Number.isFinite(latest)) return;
    store
      .pruneCandles(latest - keepMs)
      .then((n) => {
        if (n > 0) log.info({ pruned: n, before: new Date(latest - keepMs).toISOString() }, `pruned ${n} stored candles older than the retention`);
      })
      .catch((err: unknown) => log.warn({ err }, 'candle retention failed; trying again in an hour'));
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

export interface HistoryRetentionOptions {
  store: Pick<Store, 'retentionStep'> & Partial<Pick<Store, 'refreshLivePerformance'>>;
  /** PREDICTION_RETENTION_DAYS in ms; 0 keeps every row (partitions and the rollup are still kept up). */
  keepMs: number;
  /** The newest candle the pipeline processed (data time; -Infinity before the first). */
  newest: () => number;
  /** Only the leader prunes: the step is one per database, not one per instance. */
  isLeader: () => boolean;
  log: Logger;
  /** Default hourly. */
  everyMs?: number;
  /** The first run, after start. Default one minute. */
  firstAfterMs?: number;
  /** The most rows deleted per table per step (one short transaction each). Default 5000. */
  batch?: number;
  /** Steps per run; the rest waits for the next run. Default 1000. */
  maxSteps?: number;
}

export interface HistoryRetention {
  /** One run now (what the timer does): steps until nothing is left or maxSteps. */
  runOnce(): Promise<void>;
  /** Idempotent. */
  stop(): void;
}

/**
 * PREDICTION_RETENTION_DAYS, by the leader, in bounded steps (sql sb_retention_step): predictions
 * and training samples whose candle is older than the retention behind the newest candle (data
 * time, as the candles), drift records and generation logs older than the retention (their own
 * time); whole months are dropped as partitions. Every run also makes next month's partition and
 * refreshes the daily rollup and the live_7d / live_30d rows of ml_model_performance, retention or
 * not. A run never overlaps the previous one.
 */
export function startHistoryRetention(opts: HistoryRetentionOptions): HistoryRetention {
  const batch = opts.batch ?? 5_000;
  const maxSteps = opts.maxSteps ?? 1_000;
  let stopped = false;
  let running: Promise<void> | null = null;

  const run = async (): Promise<void> => {
    if (!opts.isLeader()) return;
    const latest = opts.newest();
    const keep = opts.keepMs > 0 ? opts.keepMs : undefined;
    const total = { predictions: 0, samples: 0, drift: 0, logs: 0, partitionsDropped: 0, partitionsMade: 0, steps: 0 };
    for (let i = 0; i < maxSteps && !stopped && opts.isLeader(); i++) {
      const r = await opts.store.retentionStep({
        batch,
        ...(keep !== undefined && Number.isFinite(latest) ? { beforeMs: latest - keep } : {}),
        ...(keep !== undefined ? { keepMs: keep } : {}),
        ...(Number.isFinite(latest) ? { newestMs: latest } : {}),
      });
      total.steps++;
      total.predictions += r.predictions;
      total.samples += r.samples;
      total.drift += r.drift;
      total.logs += r.logs;
      total.partitionsDropped += r.partitionsDropped;
      total.partitionsMade += r.partitionsMade;
      if (!r.more) break;
    }
    // The rolling live rows of ml_model_performance ride on the same hourly leader run.
    const live = opts.store.refreshLivePerformance ? await opts.store.refreshLivePerformance() : 0;
    opts.log.debug({ rows: live }, 'live performance (live_7d, live_30d) refreshed');
    const pruned = total.predictions + total.samples + total.drift + total.logs;
    if (pruned > 0 || total.partitionsDropped > 0 || total.partitionsMade > 0) {
      opts.log.info({ ...total, ...(keep !== undefined && Number.isFinite(latest) ? { before: new Date(latest - keep).toISOString() } : {}) },
        `retention: pruned ${total.predictions} predictions, ${total.samples} samples, ${total.drift} drift records, ${total.logs} logs; ${total.partitionsDropped} monthly partitions dropped, ${total.partitionsMade} made`);
    }
  };

  const runOnce = (): Promise<void> => {
    running ??= run()
      .catch((err: unknown) => opts.log.warn({ err }, 'retention step failed; trying again next run'))
      .finally(() => (running = null));
    return running;
  };

  const first = setTimeout(() => void runOnce(), opts.firstAfterMs ?? 60_000);
  const timer = setInterval(() => void runOnce(), opts.everyMs ?? 3_600_000);
  first.unref();
  timer.unref();
  return {
    runOnce,
    stop() {
      stopped = true;
      clearTimeout(first);
      clearInterval(timer);
    },
  };
}
