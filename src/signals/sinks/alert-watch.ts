/**
 * Looks at the daemon's components every `alerts.check_seconds` and turns what it sees into
 * conditions of the AlertManager: the feed not streaming for longer than feed_down_minutes, the
 * outbox failing for longer than outbox_stuck_minutes, dead letters appearing (per sink, and the
 * outbox's), each raised once and cleared once. check() takes the time it is given, so tests drive
 * it with a virtual clock.
 */
import type { SourceStatus } from '../../ingest/source.ts';
import type { Logger } from '../../log.ts';
import type { AlertManager } from './alerts.ts';
import type { AlertsSpec } from './sinks-file.ts';

export interface WatchedSources {
  /** The feed's kind (names the alert) and status. */
  feed?: () => { kind: string; status: SourceStatus };
  /** The outbox: 'retrying' while its store calls fail; its last error. */
  outbox?: () => { state: string; lastError?: string | null };
  /** Dead letters so far by subject (each sink's name, 'outbox'). */
  deadLetters?: () => Promise<Record<string, number>> | Record<string, number>;
}

/** Statuses in which the feed delivers nothing (ended and stopped are a replay's normal end). */
const FEED_DOWN: ReadonlySet<SourceStatus> = new Set(['connecting', 'reconnecting', 'failed']);

export class AlertWatcher {
  #timer: NodeJS.Timeout | undefined;
  #feedDownSince: number | null = null;
  #outboxFailingSince: number | null = null;
  readonly #dead = new Map<string, { count: number; lastNewAt: number }>();
  #checking: Promise<void> | null = null;

  constructor(
    private readonly alerts: AlertManager,
    private readonly sources: WatchedSources,
    private readonly spec: AlertsSpec,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  start(): void {
    if (this.#timer) return;
    void this.check(); // the dead-letter baseline: letters from earlier runs do not alert
    this.#timer = setInterval(() => void this.check(), this.spec.check_seconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * The feed's status changed (CandleSource.onStatus): the outage is timed from the change itself,
   * not from the first check that notices it.
   */
  feedStatus(status: SourceStatus, at = this.now()): void {
    if (!FEED_DOWN.has(status)) this.#feedDownSince = null;
    else this.#feedDownSince ??= at;
  }

  /** One look at every source. Never rejects. */
  check(at = this.now()): Promise<void> {
    this.#checking ??= this.#check(at)
      .catch((err: unknown) => this.log.warn({ err }, 'alert check failed'))
      .finally(() => (this.#checking = null));
    return this.#checking;
  }

  async #check(at: number): Promise<void> {
    this.#checkFeed(at);
    this.#checkOutbox(at);
    await this.#checkDeadLetters(at);
  }

  #checkFeed(at: number): void {
    const feed = this.sources.feed?.();
    if (!feed) return;
    if (!FEED_DOWN.has(feed.status)) {
      this.#feedDownSince = null;
      this.alerts.clear('feed_down', feed.kind, `the ${feed.kind} feed is ${feed.status} again`);
      return;
    }
    this.#feedDownSince ??= at;
    const minutes = (at - this.#feedDownSince) / 60_000;
    if (minutes >= this.spec.feed_down_minutes) {
      this.alerts.raise('feed_down', feed.kind, { severity: 'critical', message: `the ${feed.kind} feed has delivered no candles for ${Math.round(minutes)} min (status ${feed.status})`, details: { status: feed.status, since: this.#feedDownSince } });
    }
  }

  #checkOutbox(at: number): void {
    const outbox = this.sources.outbox?.();
    if (!outbox) return;
    if (outbox.state !== 'retrying') {
      this.#outboxFailingSince = null;
      this.alerts.clear('outbox_stuck', '', 'store writes are being applied again');
      return;
    }
    this.#outboxFailingSince ??= at;
    const minutes = (at - this.#outboxFailingSince) / 60_000;
    if (minutes >= this.spec.outbox_stuck_minutes) {
      this.alerts.raise('outbox_stuck', '', { severity: 'critical', message: `store writes have failed for ${Math.round(minutes)} min (${outbox.lastError ?? 'unknown error'}); they stay journaled and are retried`, details: { since: this.#outboxFailingSince } });
    }
  }

  async #checkDeadLetters(at: number): Promise<void> {
    const counts = (await this.sources.deadLetters?.()) ?? {};
    for (const [subject, count] of Object.entries(counts)) {
      const seen = this.#dead.get(subject);
      if (!seen) {
        // The baseline. A dead_letters alert still firing from before a restart clears after a quiet period counted from now.
        this.#dead.set(subject, { count, lastNewAt: this.alerts.isFiring('dead_letters', subject) ? at : Number.NEGATIVE_INFINITY });
        continue;
      }
      if (count > seen.count) {
        const fresh = count - seen.count;
        seen.count = count;
        seen.lastNewAt = at;
        this.alerts.raise('dead_letters', subject, { severity: 'warning', message: `${subject} gave up on ${fresh} event${fresh === 1 ? '' : 's'} (dead-lettered); see its dead-letters file`, details: { total: count } });
      } else if (at - seen.lastNewAt >= this.spec.dead_letter_quiet_minutes * 60_000) {
        this.alerts.clear('dead_letters', subject, `no new dead letters for ${this.spec.dead_letter_quiet_minutes} min (${count} in all)`);
      }
    }
  }
}
