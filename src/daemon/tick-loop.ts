/**
 * The tick loop: the one path a candle takes from the feed to subscribers and the store.
 *
 *   source ──sink(batch)──► bounded queue ──► run(): up to K ticks ──► engine.process
 *                                                    │
 *                  for each tick, in order:          ├─► 1. sinks: signals, then outcomes (subscribers first)
 *                                                    └─► 2. outbox: predictions, outcomes, samples, candles
 *
 * - Backpressure: the sink returns at once while the queue has room and waits only when it is full;
 *   the source awaits the sink, so a slow engine slows the feed instead of growing memory.
 * - K (`maxTicksPerBatch`): 1 for live feeds (every tick is published as soon as it is computed);
 *   large for a fast replay, so inference is batched across time (engine.ts explains why the
 *   result is the same as tick by tick).
 * - Outbox: a tick's writes are ONE journal append (Outbox.writeGroup), all or nothing: if the
 *   process dies or the disk fills during it, the next start finds none of the tick's entries and
 *   computes the tick again (deterministic ids, idempotent writes). Separate appends would let a
 *   crash keep a tick's outcomes without its training samples: at restart the prediction is found
 *   resolved, so the recomputed tick never writes them.
 *   Inside the group the candles still come last (a reader of the journal sees signals first).
 * - Errors: a typed retryable error (SignalbaseError with retryable = true, e.g. a full inference
 *   queue) is logged and counted, the ticks' candles are still stored, their signals are skipped.
 *   Anything else is a bug or a broken disk: `onFatal` is called and the loop stops taking ticks
 *   (the daemon then exits non-zero; STYLE.md "crash on bugs").
 */
import { randomUUID } from 'node:crypto';
import { SignalbaseError } from '../domain/errors.ts';
import type { Direction, PredictionRecord } from '../domain/prediction.ts';
import { toSignal } from '../domain/signal.ts';
import type { CandleBatch, CandleSink } from '../ingest/source.ts';
import type { Logger } from '../log.ts';
import type { TickOutput } from '../signals/engine.ts';
import { outcomeEvent, signalEvents } from '../signals/sinks/events.ts';
import type { SinkEvent } from '../signals/sinks/sink.ts';
import type { JournalPart, OutboxWriter } from '../store/outbox/index.ts';
import { candlesIngested, signalsTotal, tickErrors, tickLatency, tickQueueDepth, ticksTotal } from './metrics.ts';

/** Where a tick's signals and outcomes go first: the sink fan-out (signals/sinks/fanout.ts). */
export interface TickPublisher {
  publish(events: readonly SinkEvent[]): void;
}

export interface TickEngine {
  process(batches: readonly CandleBatch[]): Promise<TickOutput[]>;
}

export interface TickLoopOptions {
  engine: TickEngine;
  sinks: TickPublisher;
  writer: OutboxWriter;
  log: Logger;
  /** Ticks handed to one engine.process call at most (K). */
  maxTicksPerBatch: number;
  /** Ticks waiting at most; the sink waits beyond. Default max(16, 2K). */
  maxQueued?: number;
  /** Shard filter: candles of other symbols are dropped before the queue. */
  owns?: (symbol: string) => boolean;
  /** Called after every engine.process call (a model swap is complete then). */
  onBatchDone?: () => void;
  /** A bug (or a broken disk): the loop stops; the daemon exits non-zero. */
  onFatal: (err: unknown) => void;
  /** Whether ml_generation_logs gets one row per engine call that produced signals. Default true. */
  generationLogs?: boolean;
  /**
   * 'info': every BUY / SELL signal and trade outcome gets a one-line log (the demo, where the
   * terminal is the newcomer's view); 'debug' (default): per-signal lines only at debug level.
   */
  signalLogLevel?: 'info' | 'debug';
  /** Observes each tick as the sink takes it (closeTime, performance.now()): the bench's clock start. */
  onArrived?: (closeTime: number, at: number) => void;
  /** Sees each processed tick's output after it was published (the drift monitor's window). Must be cheap. */
  onTick?: (out: TickOutput) => void;
}

interface Queued {
  batch: CandleBatch;
  /** performance.now() when the sink received it. */
  arrived: number;
}

export class TickLoop {
  private readonly queue: Queued[] = [];
  private readonly maxQueued: number;
  private readonly log: Logger;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private spaceWaiters: Array<() => void> = [];
  private idleWaiters: Array<() => void> = [];
  private busy = false;
  private stopping: Promise<void> | null = null;
  private draining = false;
  private failed = false;
  private ticks = 0;
  private signals = 0;
  private newest = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: TickLoopOptions) {
    if (!(Number.isInteger(opts.maxTicksPerBatch) && opts.maxTicksPerBatch >= 1)) {
      throw new RangeError(`maxTicksPerBatch must be a positive integer, got ${opts.maxTicksPerBatch}`);
    }
    this.maxQueued = opts.maxQueued ?? Math.max(16, 2 * opts.maxTicksPerBatch);
    this.log = opts.log.child({ module: 'ticks' });
  }

  /** Ticks processed so far. */
  get processedTicks(): number {
    return this.ticks;
  }

  /** Signals published so far. */
  get publishedSignals(): number {
    return this.signals;
  }

  /** Open time of the newest candle processed (data time, for retention). */
  get newestOpenTime(): number {
    return this.newest;
  }

  get depth(): number {
    return this.queue.length;
  }

  /** What the source calls for every tick; waits only while the queue is full. */
  readonly sink: CandleSink = async (batch) => {
    const owns = this.opts.owns;
    const candles = owns ? batch.candles.filter((c) => owns(c.symbol)) : batch.candles;
    if (candles.length === 0) return;
    const arrived = performance.now();
    this.opts.onArrived?.(batch.closeTime, arrived);
    while (this.queue.length >= this.maxQueued && !this.failed && !this.draining) {
      await new Promise<void>((resolve) => this.spaceWaiters.push(resolve));
    }
    if (this.failed || (this.draining && this.loop === null)) {
      this.log.warn({ closeTime: new Date(batch.closeTime).toISOString(), candles: candles.length }, 'tick arrived after the pipeline stopped; not processed (the feed delivers it again at next start)');
      return;
    }
    this.queue.push({ batch: candles === batch.candles ? batch : { ...batch, candles }, arrived });
    tickQueueDepth.set(this.queue.length);
    this.wake?.();
  };

  /** Resolves once every tick handed to the sink so far has been processed. */
  idle(): Promise<void> {
    if (this.queue.length === 0 && !this.busy) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  start(): void {
    if (this.loop || this.stopping) return;
    this.loop = this.run();
  }

  /**
   * Call after the feed has stopped: processes the ticks still queued (the tick in flight and the
   * bounded backlog behind it), then ends. Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.draining = true;
      this.wake?.();
      this.releaseWaiters();
      await this.loop;
      this.loop = null;
      tickQueueDepth.set(0);
    })();
    return this.stopping;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.failed) {
        this.notifyIdle();
        return;
      }
      if (this.queue.length === 0) {
        this.notifyIdle();
        if (this.draining) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = null;
        continue;
      }
      // A fast feed: let the source top the queue up before taking a batch (see fillTurn).
      if (this.queue.length < this.opts.maxTicksPerBatch && !this.draining) await fillTurn();
      const items = this.queue.splice(0, this.opts.maxTicksPerBatch);
      tickQueueDepth.set(this.queue.length);
      this.releaseWaiters();
      this.busy = true;
      try {
        await this.processItems(items);
      } finally {
        this.busy = false;
      }
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Human-readable lines for the published signals and outcomes. */
  private describe(out: TickOutput): void {
    const level = this.opts.signalLogLevel ?? 'debug';
    if (!this.log.isLevelEnabled(level)) return;
    for (const s of out.signals) {
      if (level === 'info' && s.predictedDirection === 'HOLD') continue;
      const levels = s.stopLoss !== null && s.takeProfit !== null ? `, stop ${fmt(s.stopLoss)}, target ${fmt(s.takeProfit)}` : '';
      this.log[level](
        // At info (the demo's terminal) the sentence says it all; pretty-printed fields would double it.
        level === 'info' ? {} : { id: s.id, symbol: s.symbol, direction: s.predictedDirection, model: s.modelVersion },
        `signal ${s.symbol} ${s.predictedDirection} (${s.recommendation}, confidence ${s.confidenceScore.toFixed(2)}) at ${fmt(s.entryPrice)}${levels} — candle ${new Date(s.candleTime).toISOString().slice(0, 16).replace('T', ' ')}, ${s.modelVersion === 'rules' ? 'rule consensus' : `model ${s.modelVersion}`}`,
      );
    }
    for (const r of out.resolved) {
      const m = r.message;
      if (level === 'info' && m.outcome === 'NO_TRADE') continue;
      const what = m.outcome === 'TP_HIT' ? 'hit its target' : m.outcome === 'SL_HIT' ? 'hit its stop' : m.outcome === 'EXPIRED' ? 'expired' : 'resolved (no trade)';
      this.log[level](level === 'info' ? {} : { id: m.prediction_id, symbol: m.symbol, outcome: m.outcome }, `outcome ${m.symbol} ${m.predicted_direction} from ${m.candle_time.slice(0, 16).replace('T', ' ')} ${what}: ${m.profit_loss_pct >= 0 ? '+' : ''}${m.profit_loss_pct.toFixed(2)}%`);
    }
  }

  private releaseWaiters(): void {
    const waiters = this.spaceWaiters;
    this.spaceWaiters = [];
    for (const w of waiters) w();
  }

  private async processItems(items: Queued[]): Promise<void> {
    const batches = items.map((q) => q.batch);
    try {
      let outputs: TickOutput[];
      const started = performance.now();
      try {
        outputs = await this.opts.engine.process(batches);
      } catch (err) {
        if (!(err instanceof SignalbaseError && err.retryable)) throw err;
        tickErrors.inc({ code: err.code });
        this.log.warn({ err, ticks: batches.length, from: new Date(batches[0]!.closeTime).toISOString() }, 'ticks failed with a retryable error; their candles are stored, their signals skipped');
        for (const b of batches) this.opts.writer.upsertCandles(b.candles);
        if (this.opts.generationLogs !== false) this.opts.writer.insertGenerationLog(failedGenerationLog(batches, err, performance.now() - started));
        return;
      }
      this.opts.onBatchDone?.();
      const all: PredictionRecord[] = [];
      for (let i = 0; i < outputs.length; i++) {
        const out = outputs[i]!;
        // 1. Subscribers first.
        this.opts.sinks.publish([...signalEvents(out.signals.map(toSignal)), ...out.resolved.map((r) => outcomeEvent(r.message))]);
        tickLatency.observe((performance.now() - items[i]!.arrived) / 1000);
        this.describe(out);
        this.opts.onTick?.(out);
        // 2. The store, through the outbox: the tick's writes as one all-or-nothing append, candles last (see the file comment).
        const parts: JournalPart[] = [];
        if (out.signals.length > 0) parts.push(['insertPredictions', out.signals]);
        if (out.resolved.length > 0) {
          parts.push(['resolvePredictions', out.resolved.map((r) => r.outcome)]);
          parts.push(['insertTrainingSamples', out.resolved.map((r) => r.sample)]);
        }
        parts.push(['upsertCandles', out.candles]);
        this.opts.writer.writeGroup(parts);
        ticksTotal.inc();
        candlesIngested.inc(out.candles.length);
        for (const c of out.candles) if (c.openTime > this.newest) this.newest = c.openTime;
        for (const s of out.signals) signalsTotal.inc({ direction: s.predictedDirection });
        this.ticks++;
        this.signals += out.signals.length;
        all.push(...out.signals);
      }
      if (all.length > 0 && this.opts.generationLogs !== false) this.opts.writer.insertGenerationLog(generationLog(all, performance.now() - started));
    } catch (err) {
      this.failed = true;
      this.releaseWaiters();
      this.opts.onFatal(err);
    }
  }
}

/**
 * One macrotask turn. The loop runs on microtasks (woken by the source's push, engine calls that
 * settle in microtasks), and so does a fast source between its own event-loop yields: taking the
 * queue at once hands the engine the one or two ticks pushed so far, and inference is never batched
 * across time (a replay then predicted one tick per call). After one turn a fast source has pushed
 * until its next yield or a full queue. A live loop (K = 1) never waits here: its queue is never
 * shorter than K when it has work.
 */
const fillTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

const fmt = (x: number) => Number(x.toPrecision(6)).toString();

/**
 * The ml_generation_logs row of an engine call that failed (a retryable error: the ticks' candles
 * are stored, their signals skipped): every tick counted as an error, none generated.
 */
function failedGenerationLog(batches: readonly CandleBatch[], err: SignalbaseError, ms: number) {
  const symbols = new Set(batches.flatMap((b) => b.candles.map((c) => c.symbol))).size;
  return {
    batchId: randomUUID(),
    generationStrategy: 'failed',
    symbolsCount: symbols,
    totalSignalsGenerated: 0,
    processingTimeMs: ms,
    successRate: 0,
    errorCount: batches.length,
    status: 'FAILED',
    errorDetails: { code: err.code, message: err.message, ticks: batches.length, from: new Date(batches[0]!.closeTime).toISOString() },
    completedAt: Date.now(),
  };
}

/** One ml_generation_logs row for the signals of one engine call (all its ticks succeeded). */
function generationLog(signals: readonly PredictionRecord[], ms: number) {
  const byDirection: Record<Direction, number> = { BUY: 0, SELL: 0, HOLD: 0 };
  const confidence = { low: 0, medium: 0, high: 0 };
  let sum = 0;
  for (const s of signals) {
    byDirection[s.predictedDirection]++;
    sum += s.confidenceScore;
    confidence[s.confidenceScore < 0.5 ? 'low' : s.confidenceScore < 0.7 ? 'medium' : 'high']++;
  }
  const symbols = new Set(signals.map((s) => s.symbol)).size;
  return {
    batchId: randomUUID(),
    generationStrategy: signals.some((s) => s.modelVersion !== 'rules') ? 'model' : 'rules',
    symbolsCount: symbols,
    signalsPerSymbol: Math.max(1, Math.round(signals.length / Math.max(1, symbols))),
    totalSignalsGenerated: signals.length,
    avgConfidence: sum / signals.length,
    confidenceDistribution: confidence,
    signalDistribution: byDirection,
    processingTimeMs: ms,
    successRate: 1,
    errorCount: 0,
    status: 'COMPLETED',
    completedAt: Date.now(),
  };
}
