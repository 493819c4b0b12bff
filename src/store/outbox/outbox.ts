/**
 * The outbox (DESIGN.md "Persistence never blocks the signal path"): every store write the daemon
 * makes is enqueued here synchronously (journaled to disk before enqueue returns, never awaiting the
 * store) and applied in the background by one drain loop.
 *
 * - Batches: a prefix of at most `maxBatch` entries, grouped by operation, one multi-row store call
 *   per group (operations.ts explains why the grouping keeps every dependency).
 * - Failures (batch.ts): a retryable or systemic failure keeps the batch at the head and retries it
 *   after a capped, jittered exponential backoff (domain/timing.ts); order is kept. A row-specific
 *   ("poison") failure is isolated to its entry, which goes to dead-letter.ndjson with its error,
 *   counted and logged; the rest proceeds. One bad row never blocks the queue; an outage never
 *   loses a row.
 * - Bounded memory: at most `maxInMemory` entries are held; the rest stay in the journal and are
 *   read back as the window frees.
 * - Start: everything after the journal's checkpoint is applied again. Safe: every Store write is
 *   idempotent on its natural key.
 * - stop(): drains until empty or the deadline; what remains stays in the journal for next start.
 * - health(): for /readyz: degraded while it has been failing for longer than `degradedAfterMs`.
 */
import { join } from 'node:path';
import type { Candle } from '../../domain/candle.ts';
import { systemClock, type Clock } from '../../domain/clock.ts';
import { SignalbaseError } from '../../domain/errors.ts';
import type { OutcomeRecord, PredictionRecord } from '../../domain/prediction.ts';
import { backoffDelay, sleep, type ExponentialBackoff } from '../../domain/timing.ts';
import { rootLogger, type Logger } from '../../log.ts';
import { acquireLockFile, type HeldLock } from '../lock-file.ts';
import type { GenerationLogRecord, TrainingSampleRecord } from '../types.ts';
import { DeadLetters } from './dead-letter.ts';
import { OutboxStateError } from './errors.ts';
import { Journal, type JournalPart } from './journal.ts';
import { applyBatch, type BatchHooks, type FailureKind, type Pending } from './batch.ts';
import { liveOutboxes } from './metrics.ts';
import type { OpRows, OutboxOp, OutboxStore } from './operations.ts';

export interface OutboxOptions {
  store: OutboxStore;
  /** SIGNALBASE_DATA_DIR: the journal lives in <dataDir>/outbox. */
  dataDir: string;
  log?: Logger;
  /** Entries held in memory at most. Default 10,000. */
  maxInMemory?: number;
  /**
   * Entries per batch at most. Default 4000: each operation group of a batch is one store round
   * trip, and with the embedded store in a worker thread a round trip waits for the main thread's
   * next event-loop turn (up to an inference batch, ~100 ms, in a replay); 500 let a replay outrun
   * the store by far, 4000 keeps up (the rows' cost in the database is the same either way).
   */
  maxBatch?: number;
  /** Retry delays. Default 0.5 s doubling up to 5 s: a store back from an outage is written to within 5 s. */
  backoff?: ExponentialBackoff;
  /** Failing for longer than this makes health() degraded. Default 10 s. */
  degradedAfterMs?: number;
  /** Default deadline of stop(). Default 5 s. */
  stopDeadlineMs?: number;
  segmentBytes?: number;
  clock?: Clock;
  random?: () => number;
}

/** The outbox's retry policy unless configured: a store outage delays writes by at most ~5 s after it ends. */
const OUTBOX_BACKOFF: ExponentialBackoff = { baseMs: 500, capMs: 5_000 };

export interface OutboxHealth {
  state: 'not_started' | 'idle' | 'draining' | 'retrying' | 'stopped';
  /** True while the outbox is running and its last store call succeeded (or none failed yet). */
  draining: boolean;
  /** Journaled entries not applied yet. */
  depth: number;
  inMemory: number;
  oldestAgeSeconds: number;
  lastError: { code: string; message: string; kind: FailureKind; at: number } | null;
  failingSince: number | null;
  /** Failing for longer than degradedAfterMs: /readyz reports it. */
  degraded: boolean;
  deadLetters: number;
}

/** What the rest of the daemon calls: the typed, synchronous writes. */
export interface OutboxWriter {
  insertPredictions(rows: readonly PredictionRecord[]): void;
  resolvePredictions(rows: readonly OutcomeRecord[]): void;
  insertTrainingSamples(rows: readonly TrainingSampleRecord[]): void;
  upsertCandles(rows: readonly Candle[]): void;
  insertGenerationLog(row: GenerationLogRecord): void;
  /** One tick's writes as one all-or-nothing journal append, in the order given. */
  writeGroup(parts: readonly JournalPart[]): void;
}

export class Outbox implements OutboxWriter {
  private readonly opts: OutboxOptions;
  private readonly log: Logger;
  private readonly clock: Clock;
  private readonly dir: string;
  private readonly maxInMemory: number;
  private readonly maxBatch: number;
  private journal: Journal | null = null;
  private lock: HeldLock | null = null;
  private deadLetters: DeadLetters | null = null;
  private window: Pending[] = [];
  private loadedThrough = 0;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private sleepAbort: AbortController | null = null;
  private stopping: Promise<void> | null = null;
  private deadline = Number.POSITIVE_INFINITY;
  private closed = false;
  private attempt = 0;
  private failingSince: number | null = null;
  private lastError: OutboxHealth['lastError'] = null;
  private deadCount = 0;
  private drainWaiters: Array<() => void> = [];
  private leftover: Partial<Record<OutboxOp, number>> | null = null;
  private readonly gauges = { depth: () => this.depth(), oldestAgeSeconds: () => this.oldestAgeSeconds(), inMemory: () => this.window.length };
  private readonly hooks: BatchHooks = {
    onFailure: (err, kind, op, rows) => this.noteFailure(err, kind, op, rows),
    onPoison: (p) => this.deadLetter(p),
  };

  constructor(opts: OutboxOptions) {
    this.opts = opts;
    this.log = (opts.log ?? rootLogger()).child({ module: 'outbox' });
    this.clock = opts.clock ?? systemClock;
    this.dir = join(opts.dataDir, 'outbox');
    this.maxInMemory = opts.maxInMemory ?? 10_000;
    this.maxBatch = Math.min(opts.maxBatch ?? 4000, this.maxInMemory);
    if (!(Number.isInteger(this.maxInMemory) && this.maxInMemory >= 1 && this.maxBatch >= 1)) {
      throw new RangeError(`outbox bounds must be positive integers (maxInMemory ${this.maxInMemory}, maxBatch ${this.maxBatch})`);
    }
  }

  /** Takes the journal (one process at a time), then applies whatever it still holds and keeps draining. */
  start(): void {
    if (this.journal || this.closed) return;
    this.lock = acquireLockFile(`${this.dir}.lock`, `outbox journal ${this.dir}`);
    try {
      this.journal = Journal.open({ dir: this.dir, log: this.log, segmentBytes: this.opts.segmentBytes });
      this.deadLetters = new DeadLetters(join(this.dir, 'dead-letter.ndjson'));
    } catch (err) {
      this.lock.release();
      this.lock = null;
      throw err;
    }
    this.loadedThrough = this.journal.acked;
    const pending = this.journal.lastSeq - this.journal.acked;
    if (pending > 0) this.log.info({ pending, from: this.journal.acked + 1 }, 'replaying journaled store writes');
    liveOutboxes.add(this.gauges);
    this.loop = this.run().catch((err: unknown) => {
      // A bug in the loop itself: crash loudly (STYLE: crash on bugs), the journal keeps the data.
      this.log.fatal({ err }, 'outbox drain loop failed');
      throw err;
    });
  }

  insertPredictions(rows: readonly PredictionRecord[]): void {
    this.enqueue('insertPredictions', rows);
  }
  resolvePredictions(rows: readonly OutcomeRecord[]): void {
    this.enqueue('resolvePredictions', rows);
  }
  insertTrainingSamples(rows: readonly TrainingSampleRecord[]): void {
    this.enqueue('insertTrainingSamples', rows);
  }
  upsertCandles(rows: readonly Candle[]): void {
    this.enqueue('upsertCandles', rows);
  }
  insertGenerationLog(row: GenerationLogRecord): void {
    this.enqueue('insertGenerationLog', [row]);
  }

  /**
   * Journals the rows (one entry each) and queues them; returns without touching the store.
   * Rows must not be mutated afterwards. Throws OutboxJournalError when the disk refuses the write
   * (nothing was accepted then) and OutboxStateError outside start()..stop().
   */
  enqueue<O extends OutboxOp>(op: O, rows: readonly OpRows[O][]): void {
    this.writeGroup([[op, rows] as JournalPart]);
  }

  /** Journals every part's rows with one all-or-nothing append (journal.ts appendGroup), then queues them. */
  writeGroup(parts: readonly JournalPart[]): void {
    const what = parts.map(([op, rows]) => `${op} of ${rows.length} row(s)`).join(', ');
    if (this.closed || this.stopping) throw new OutboxStateError('OUTBOX_STOPPED', `outbox is stopped; ${what} refused`);
    const journal = this.journal;
    if (!journal) throw new OutboxStateError('OUTBOX_NOT_STARTED', `outbox not started; call start() before ${what}`);
    const at = this.clock.now();
    const { first, last } = journal.appendGroup(at, parts);
    if (last < first) return;
    if (this.loadedThrough === first - 1) {
      let seq = first;
      outer: for (const [op, rows] of parts) {
        for (const data of rows) {
          if (this.window.length >= this.maxInMemory) break outer;
          this.window.push({ entry: { seq, op, at, data } as Pending['entry'], dead: false });
          this.loadedThrough = seq++;
        }
      }
    }
    this.wake?.();
  }

  /** Resolves true once everything journaled so far is applied, false after `timeoutMs`. */
  async drained(timeoutMs = 30_000): Promise<boolean> {
    if (this.depth() === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const done = new Promise<boolean>((resolve) => {
      this.drainWaiters.push(() => resolve(true));
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await done;
    } finally {
      clearTimeout(timer);
    }
  }

  depth(): number {
    return this.journal ? this.journal.lastSeq - this.journal.acked : 0;
  }

  oldestAgeSeconds(): number {
    const head = this.window[0];
    return head && this.depth() > 0 ? Math.max(0, (this.clock.now() - head.entry.at) / 1000) : 0;
  }

  health(): OutboxHealth {
    const now = this.clock.now();
    const degraded = this.failingSince !== null && now - this.failingSince >= (this.opts.degradedAfterMs ?? 10_000);
    const running = this.journal !== null && !this.closed;
    const state: OutboxHealth['state'] = this.closed
      ? 'stopped'
      : !this.journal
        ? 'not_started'
        : this.failingSince !== null
          ? 'retrying'
          : this.depth() > 0
            ? 'draining'
            : 'idle';
    return {
      state,
      draining: running && this.failingSince === null,
      depth: this.depth(),
      inMemory: this.window.length,
      oldestAgeSeconds: this.oldestAgeSeconds(),
      lastError: this.lastError,
      failingSince: this.failingSince,
      degraded,
      deadLetters: this.deadCount,
    };
  }

  /** Drains until empty or `deadlineMs` passed; the rest stays journaled. Idempotent. */
  stop(deadlineMs = this.opts.stopDeadlineMs ?? 5_000): Promise<void> {
    this.stopping ??= (async () => {
      this.deadline = this.clock.now() + deadlineMs;
      this.wake?.();
      this.sleepAbort?.abort();
      if (this.loop) {
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<void>((r) => (timer = setTimeout(r, deadlineMs)));
        try {
          await Promise.race([this.loop.catch(() => undefined), expired]);
        } finally {
          clearTimeout(timer);
        }
      }
      this.closed = true;
      this.wake?.();
      liveOutboxes.delete(this.gauges);
      const remaining = this.depth();
      if (remaining > 0) this.leftover = this.pendingByOp();
      try {
        this.journal?.close();
      } catch (err) {
        this.log.warn({ err }, 'closing the outbox journal failed');
      }
      try {
        this.lock?.release();
      } catch (err) {
        this.log.warn({ err }, 'releasing the outbox lock failed');
      }
      if (remaining > 0) this.log.warn({ remaining, pending: this.leftover, journal: this.dir }, 'outbox stopped with writes pending; they stay journaled and are applied at next start');
      else this.log.info('outbox stopped, fully drained');
    })();
    return this.stopping;
  }

  /**
   * After stop(): what stayed journaled, rows per operation (empty when everything was applied),
   * and the journal's directory, for a caller that must not report success then (run --once).
   */
  unflushed(): { rows: number; byOp: Partial<Record<OutboxOp, number>>; journal: string } {
    const byOp = this.leftover ?? {};
    return { rows: Object.values(byOp).reduce((a, b) => a + b, 0), byOp, journal: this.dir };
  }

  /** Pending rows per operation, read from the journal (the window holds only a prefix). */
  private pendingByOp(): Partial<Record<OutboxOp, number>> {
    const out: Partial<Record<OutboxOp, number>> = {};
    const journal = this.journal;
    if (!journal) return out;
    for (let from = journal.acked + 1; from <= journal.lastSeq; ) {
      const page = journal.read(from, 10_000);
      if (page.length === 0) break;
      for (const e of page) out[e.op] = (out[e.op] ?? 0) + 1;
      from = page[page.length - 1]!.seq + 1;
    }
    return out;
  }

  private refill(): void {
    const journal = this.journal!;
    const room = this.maxInMemory - this.window.length;
    if (room <= 0 || this.loadedThrough >= journal.lastSeq) return;
    const entries = journal.read(this.loadedThrough + 1, room);
    for (const entry of entries) this.window.push({ entry, dead: false });
    this.loadedThrough = entries.length < room ? journal.lastSeq : entries[entries.length - 1]!.seq;
  }

  private async run(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      this.refill();
      if (this.window.length === 0) {
        if (this.stopping) return;
        await new Promise<void>((r) => (this.wake = r));
        this.wake = null;
        continue;
      }
      if (this.stopping && this.clock.now() >= this.deadline) return;
      const batch = this.window.slice(0, this.maxBatch);
      try {
        await applyBatch(this.opts.store, batch, this.hooks);
      } catch {
        if (this.closed) return;
        const delay = backoffDelay(this.attempt++, this.opts.backoff ?? OUTBOX_BACKOFF, this.opts.random);
        if (this.stopping && this.clock.now() + delay >= this.deadline) return;
        await this.sleep(delay);
        continue;
      }
      if (this.closed) return; // stop() gave up waiting: not acked, replayed at next start
      this.ack(batch);
    }
  }

  private noteFailure(err: unknown, kind: FailureKind, op: OutboxOp, rows: number): void {
    const now = this.clock.now();
    const code = err instanceof SignalbaseError ? err.code : err instanceof Error ? err.name : 'UNKNOWN';
    const message = err instanceof Error ? err.message : String(err);
    this.lastError = { code, message, kind, at: now };
    if (kind === 'poison') {
      this.log.warn({ err, op, rows }, 'store refused a batch for a row-specific reason; isolating the entry');
      return;
    }
    const first = this.failingSince === null;
    this.failingSince ??= now;
    if (first) this.log.error({ err, op, rows, kind }, 'store write failed; retrying with backoff, writes stay journaled');
  }

  private deadLetter(p: Pending): void {
    const error = this.lastError;
    this.deadLetters!.write(p.entry, error);
    p.dead = true;
    this.deadCount++;
    this.log.error({ seq: p.entry.seq, op: p.entry.op, error }, 'store write refused for good; moved to the dead-letter file');
  }

  private ack(batch: Pending[]): void {
    const last = batch[batch.length - 1]!.entry.seq;
    this.window.splice(0, batch.length);
    this.journal!.ack(last);
    if (this.failingSince !== null) {
      this.log.info({ failedForMs: this.clock.now() - this.failingSince }, 'store writes recovered');
      this.failingSince = null;
    }
    this.attempt = 0;
    if (this.depth() === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  private sleep(ms: number): Promise<void> {
    const ac = new AbortController();
    this.sleepAbort = ac;
    return sleep(ms, ac.signal).finally(() => {
      if (this.sleepAbort === ac) this.sleepAbort = null;
    });
  }
}
