/**
 * A sink with its own bounded, journaled delivery queue (DESIGN.md "Sinks"): publish() filters,
 * journals and enqueues synchronously and returns; one loop per sink delivers in order through its
 * Transport. So a slow or dead receiver holds up only its own queue, never the tick, the websocket
 * or another sink.
 *
 * Per event: retryable failures (network, timeout, 429, 5xx) are retried with capped, jittered
 * backoff, waiting at least what the receiver asked (Retry-After / retry_after); a refusal (other
 * 4xx) or exhausted retries (max_attempts, or older than max_age_ms) dead-letters it to
 * <dataDir>/sinks/<name>/dead-letters.ndjson. At `max_depth` the oldest waiting event is dropped
 * (counted as sink_failed_total{reason="overflow"}): a receiver that comes back gets the recent
 * events rather than a stale backlog.
 *
 * An event whose id the sink already took (this run, or journaled by the last one: the newest
 * DEDUPE_IDS) is skipped: after a kill -9 the daemon recomputes the candles it had not stored yet
 * and publishes their signals again under the same ids; the receiver should get them once.
 *
 * stop() is idempotent: it keeps delivering until the queue is empty or its deadline passes (a
 * failure during the drain ends it at once), then aborts; what is left stays journaled for the
 * next start.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import { backoffDelay, sleep, type StepBackoff as BackoffOptions } from '../../domain/timing.ts';
import { eventFilter, type EventFilter } from './filter.ts';
import { liveSinkQueues, sinkDeadLetters, sinkDelivered, sinkFailed, type FailureReason } from './metrics.ts';
import { SinkJournal, type QueuedEvent } from './queue-journal.ts';
import { TokenBucket } from './rate-limit.ts';
import type { SignalSink, SinkEvent, SinkStatus } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';
import type { DeliveryResult, Transport } from './transport.ts';

/** Event ids remembered for the dedupe. */
const DEDUPE_IDS = 20_000;

export interface QueuedSinkOptions {
  spec: Pick<SinkEntry, 'name' | 'kind' | 'events' | 'filter' | 'rate_limit' | 'queue' | 'retry' | 'timeout_ms'>;
  transport: Transport;
  /** SIGNALBASE_DATA_DIR: the queue lives in <dataDir>/sinks/<name>/. */
  dataDir: string;
  log: Logger;
  /** Scrubs the sink's secrets from error text. */
  redact?: (text: string) => string;
  /** Default deadline of stop(). Default 3 s. */
  stopDeadlineMs?: number;
  now?: () => number;
  random?: () => number;
}

export class QueuedSink implements SignalSink {
  readonly name: string;
  readonly kind: string;
  readonly #opts: QueuedSinkOptions;
  readonly #log: Logger;
  readonly #filter: EventFilter;
  readonly #journal: SinkJournal;
  readonly #pending: QueuedEvent[];
  readonly #bucket: TokenBucket | null;
  readonly #backoff: BackoffOptions;
  readonly #deadLetterPath: string;
  readonly #abort = new AbortController();
  readonly #now: () => number;
  readonly #redact: (text: string) => string;
  readonly #seen = new Set<string>();
  #state: SinkStatus['state'] = 'starting';
  #loop: Promise<void> | null = null;
  #stopping: Promise<void> | null = null;
  #draining = false;
  #closed = false;
  #inFlight = false;
  #attempts = 0;
  #wake: (() => void) | null = null;
  #counts = { delivered: 0, failed: 0, deadLetters: 0, dropped: 0 };
  #lastError: string | undefined;

  constructor(opts: QueuedSinkOptions) {
    this.#opts = opts;
    this.name = opts.spec.name;
    this.kind = opts.spec.kind;
    this.#log = opts.log.child({ module: 'sink', sink: this.name });
    this.#filter = eventFilter(opts.spec);
    this.#now = opts.now ?? Date.now;
    this.#redact = opts.redact ?? ((t) => t);
    const dir = join(opts.dataDir, 'sinks', this.name);
    this.#deadLetterPath = join(dir, 'dead-letters.ndjson');
    const { journal, pending, seen } = SinkJournal.open(dir, this.#log, { fsync: opts.spec.queue.fsync });
    for (const id of seen.slice(-DEDUPE_IDS)) this.#seen.add(id);
    this.#journal = journal;
    this.#pending = pending;
    this.#bucket = TokenBucket.from(opts.spec.rate_limit, this.#now);
    // base, 2 base, 4 base, ... up to cap, each ±25 % so sinks that lost one receiver do not retry in step.
    const { base_ms: base, cap_ms: cap } = opts.spec.retry;
    const steps: number[] = [];
    for (let d = base; d < cap && steps.length < 40; d *= 2) steps.push(d);
    this.#backoff = { steps: [...steps, cap], jitter: 0.25, ...(opts.random ? { random: opts.random } : {}) };
    if (pending.length > 0) this.#log.info({ pending: pending.length }, `${pending.length} events journaled by the last run are queued for delivery again`);
    this.#trim();
  }

  publish(events: readonly SinkEvent[]): void {
    const taken: SinkEvent[] = [];
    for (const e of events) {
      if (!this.#filter(e) || this.#seen.has(e.id)) continue;
      this.#remember(e.id);
      taken.push(e);
    }
    if (taken.length === 0) return;
    if (this.#closed) {
      // Stopped: nowhere to journal them (the fan-out publishes nothing after stop).
      this.#count('overflow', taken.length);
      return;
    }
    let entries: QueuedEvent[];
    try {
      entries = this.#journal.append(this.#now(), taken);
    } catch (err) {
      // The disk refused: deliver from memory anyway (lost if the process dies first), counted.
      this.#count('journal', taken.length);
      this.#log.error({ err }, `cannot journal ${taken.length} events: ${describeError(err)}; delivering them unjournaled`);
      entries = taken.map((event) => ({ seq: -1, at: this.#now(), event }));
    }
    this.#pending.push(...entries);
    this.#trim();
    this.#wake?.();
  }

  async start(): Promise<void> {
    if (this.#loop || this.#stopping) return;
    liveSinkQueues.set(this.name, () => this.#pending.length);
    await this.#opts.transport.start?.();
    this.#state = 'ok';
    this.#loop = this.#run().catch((err: unknown) => {
      this.#log.error({ err }, `the delivery loop failed: ${describeError(err)}`);
      this.#state = 'degraded';
    });
  }

  stop(deadlineMs = this.#opts.stopDeadlineMs ?? 3_000): Promise<void> {
    this.#stopping ??= this.#stop(deadlineMs);
    return this.#stopping;
  }

  status(): SinkStatus {
    return {
      name: this.name,
      kind: this.kind,
      state: this.#state,
      queueDepth: this.#pending.length,
      ...this.#counts,
      ...(this.#lastError !== undefined ? { lastError: this.#lastError } : {}),
    };
  }

  async #stop(deadlineMs: number): Promise<void> {
    this.#draining = true;
    this.#wake?.();
    if (this.#loop) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.#loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, deadlineMs)))]);
      clearTimeout(timer);
    }
    this.#abort.abort();
    for (const [what, fn] of [
      ['the delivery loop', () => this.#loop],
      ['the transport', () => this.#opts.transport.stop?.()],
    ] as const) {
      try {
        await fn();
      } catch (err) {
        this.#log.warn({ err }, `stopping ${what} failed: ${describeError(err)}`);
      }
    }
    this.#closed = true;
    this.#journal.close();
    liveSinkQueues.delete(this.name);
    this.#state = 'stopped';
    if (this.#pending.length > 0) this.#log.info({ pending: this.#pending.length }, `${this.#pending.length} undelivered events stay journaled for the next start`);
  }

  async #run(): Promise<void> {
    const { retry, timeout_ms } = this.#opts.spec;
    while (!this.#abort.signal.aborted) {
      const head = this.#pending[0];
      if (!head) {
        if (this.#draining) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = null;
        continue;
      }
      const wait = this.#bucket?.wait() ?? 0;
      if (wait > 0 && !this.#draining) {
        await this.#sleep(wait);
        continue;
      }
      this.#bucket?.take();
      this.#inFlight = true;
      const result = await this.#attempt(head.event, timeout_ms);
      this.#inFlight = false;
      if (result.ok) {
        this.#counts.delivered++;
        sinkDelivered.inc({ sink: this.name });
        this.#state = 'ok';
        this.#finish(head);
        if (result.pauseMs && !this.#draining) await this.#sleep(result.pauseMs);
        continue;
      }
      this.#count(result.reason);
      this.#lastError = `${result.reason}: ${this.#redact(result.message)}`;
      this.#state = 'degraded';
      this.#attempts++;
      const expired = this.#attempts >= retry.max_attempts || this.#now() - head.at > retry.max_age_ms;
      if (!result.retryable || expired) {
        this.#deadLetter(head, result, expired && result.retryable ? `gave up after ${this.#attempts} attempts` : 'refused');
        continue;
      }
      if (this.#draining) return; // what is left stays journaled
      const backoff = backoffDelay(this.#attempts - 1, this.#backoff);
      const delay = Math.max(backoff, result.retryAfterMs ?? 0);
      this.#log.debug({ event: head.event.id, attempt: this.#attempts, delayMs: Math.round(delay), reason: result.reason }, 'delivery failed; retrying');
      await this.#sleep(delay);
    }
  }

  async #attempt(event: SinkEvent, timeoutMs: number): Promise<DeliveryResult> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(timeoutMs)]);
    try {
      return await this.#opts.transport.deliver(event, signal);
    } catch (err) {
      // A transport must not throw; treat it as a retryable failure rather than lose the event.
      return { ok: false, retryable: true, reason: 'network', message: describeError(err) };
    }
  }

  #finish(head: QueuedEvent): void {
    if (this.#pending[0] === head) this.#pending.shift();
    else {
      const i = this.#pending.indexOf(head);
      if (i >= 0) this.#pending.splice(i, 1);
    }
    this.#attempts = 0;
    this.#done([head.seq]);
    this.#journal.maybeCompact(this.#pending);
  }

  #deadLetter(head: QueuedEvent, result: Extract<DeliveryResult, { ok: false }>, why: string): void {
    this.#counts.deadLetters++;
    sinkDeadLetters.inc({ sink: this.name });
    const message = this.#redact(result.message);
    this.#log.warn({ event: head.event.id, type: head.event.type, reason: result.reason, attempts: this.#attempts }, `event ${head.event.id} dead-lettered (${why}): ${message}`);
    try {
      appendFileSync(this.#deadLetterPath, `${JSON.stringify({ at: this.#now(), reason: result.reason, message, attempts: this.#attempts, event: head.event })}\n`);
    } catch (err) {
      this.#log.error({ err, path: this.#deadLetterPath }, 'cannot write the dead-letter file; the event is only in this log line');
    }
    this.#finish(head);
  }

  /** Drops the oldest waiting events beyond max_depth (never the one in flight). */
  #trim(): void {
    const over = this.#pending.length - this.#opts.spec.queue.max_depth;
    if (over <= 0) return;
    const from = this.#inFlight ? 1 : 0;
    const dropped = this.#pending.splice(from, over);
    if (from === 0) this.#attempts = 0;
    this.#counts.dropped += dropped.length;
    this.#count('overflow', dropped.length);
    this.#done(dropped.map((e) => e.seq));
    this.#log.warn({ dropped: dropped.length, depth: this.#pending.length }, `queue full (max_depth ${this.#opts.spec.queue.max_depth}): dropped the ${dropped.length} oldest waiting events`);
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > DEDUPE_IDS) this.#seen.delete(this.#seen.values().next().value as string);
  }

  #done(seqs: number[]): void {
    try {
      this.#journal.done(seqs.filter((s) => s >= 0));
    } catch (err) {
      this.#log.warn({ err }, `cannot journal finished deliveries: ${describeError(err)}; they may be sent again after a restart`);
    }
  }

  #count(reason: FailureReason, n = 1): void {
    this.#counts.failed += n;
    sinkFailed.inc({ sink: this.name, reason }, n);
  }

  /** Waits `ms`, or until stop() aborts (a pending backoff must not outlive the stop deadline). */
  #sleep(ms: number): Promise<void> {
    return sleep(ms, this.#abort.signal);
  }
}
