/**
 * The retrain queue's consumer (DESIGN.md "Scheduling, leadership, scale"): every request (cron,
 * `signalbase retrain`, POST /v1/retrain, --retrain-now, a drift alarm, a row an operator inserts
 * in ml_retrain_requests) lands in one table; the leader's RetrainWorker serves them, oldest first,
 * and ends each one DONE with the model version, SKIPPED with the reason, or FAILED with the reason.
 *
 * - Only while leading (lead() / stepDown(), driven by the LeaderElector). It polls claimRetrain
 *   every `pollMs` and wakes at once on wake() (a request filed by this process).
 * - One training at a time. A request that trains also claims every other request PENDING at that
 *   moment: they were all filed before the training started, so its model answers all of them.
 * - A request that is not forced is SKIPPED when the last training (the newest ml_models row that
 *   finished training: trained, active or retired) is newer than MIN_RETRAIN_INTERVAL_DAYS.
 * - Requests interrupted before they ended: on taking the leadership, a RUNNING request claimed by
 *   another worker, or by this worker id but not running here (a restarted container keeps host and
 *   pid), belonged to a leader that died or lost its lock; the advisory lock guarantees it no longer
 *   leads, so no grace period is waited. It is finished FAILED with that reason and re-filed once
 *   (same source and force, reason "retry of <id>: ..."). A request cancelled by this daemon's own
 *   shutdown is treated the same way. A retry that is interrupted again is not re-filed, so a
 *   training that kills the process every time cannot loop.
 *
 * A deposed leader that is still alive (it lost its store connection) lets a training in flight
 * finish; finishing an already-finished request changes nothing (finishRetrain is idempotent).
 */
import { Counter } from 'prom-client';
import { systemClock, type Clock } from '../domain/clock.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { registry } from '../metrics.ts';
import type { Store } from '../store/store.ts';
import type { ModelRecord, RetrainRequest } from '../store/types.ts';
import type { TrainOutcome } from './models.ts';

export const RETRAIN_POLL_MS = 2_000;
const DAY_MS = 86_400_000;
/** How many recent requests are scanned for interrupted ones when taking the leadership. */
const ORPHAN_SCAN = 200;
const RETRY_PREFIX = 'retry of ';

export const retrainRequestsTotal = new Counter({
  name: 'retrain_requests_total',
  help: 'Retrain requests this instance finished, by final status (DONE, SKIPPED, FAILED)',
  labelNames: ['status'] as const,
  registers: [registry],
});

/** What the worker needs of the BackgroundTrainer (models.ts). */
export interface TrainerPort {
  readonly busy: boolean;
  /** Resolves null when the training failed or was cancelled; lastError says why. */
  run(reason: string): Promise<TrainOutcome | null>;
  readonly lastError: string | null;
}

export type RetrainStore = Pick<Store, 'claimRetrain' | 'finishRetrain' | 'enqueueRetrain' | 'listRetrains' | 'listModels'>;

export interface RetrainWorkerOptions {
  store: RetrainStore;
  trainer: TrainerPort;
  /** This instance's worker id (host:pid), recorded in claimed_by. */
  worker: string;
  /** MIN_RETRAIN_INTERVAL_DAYS. 0 never skips. */
  minIntervalDays: number;
  log: Logger;
  /** Default RETRAIN_POLL_MS. */
  pollMs?: number;
  clock?: Clock;
}

/** Statuses after which the model counts as a finished training. */
const TRAINED = new Set(['trained', 'active', 'retired']);

export class RetrainWorker {
  private leading = false;
  /** Set by lead(): interrupted requests are recovered before the first claim. */
  private recovering = false;
  private stopped = false;
  private loopDone: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private wakeUp: (() => void) | null = null;
  private pendingWake = false;
  /** Requests being served by this process right now. */
  private readonly inFlight = new Set<string>();
  private readonly waiters = new Map<string, ((r: RetrainRequest) => void)[]>();
  private readonly log: Logger;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: RetrainWorkerOptions) {
    this.log = opts.log.child({ module: 'retrain' });
    this.pollMs = opts.pollMs ?? RETRAIN_POLL_MS;
    this.now = () => (opts.clock ?? systemClock).now();
  }

  get isLeading(): boolean {
    return this.leading;
  }

  /** Starts the polling loop (idle until lead()). */
  start(): void {
    if (this.loopDone || this.stopped) return;
    this.loopDone = this.loop();
  }

  /** This instance became the leader: recover interrupted requests, then serve the queue. */
  lead(): void {
    if (this.stopped || this.leading) return;
    this.leading = true;
    this.recovering = true;
    this.wake();
  }

  /** Leadership lost: claim nothing more (a training in flight finishes and records its result). */
  stepDown(): void {
    this.leading = false;
  }

  /** A request was filed by this process: look now rather than at the next poll. */
  wake(): void {
    this.pendingWake = true;
    this.wakeUp?.();
  }

  /** Resolves with the request once this worker has finished it (DONE, SKIPPED or FAILED). */
  finished(id: string): Promise<RetrainRequest> {
    return new Promise((resolve) => {
      const list = this.waiters.get(id) ?? [];
      list.push(resolve);
      this.waiters.set(id, list);
    });
  }

  /**
   * Stops claiming and waits for the loop to end. A training in flight is not cancelled here (the
   * daemon stops the BackgroundTrainer first); its request is recorded before this resolves.
   * Idempotent.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.leading = false;
      this.wakeUp?.();
      await this.loopDone;
    })();
    return this.stopping;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      if (this.leading && !this.opts.trainer.busy) {
        try {
          if (this.recovering) {
            await this.recoverInterrupted();
            this.recovering = false;
          }
          await this.drain();
        } catch (err) {
          this.log.warn({ err }, `serving the retrain queue failed (${describeError(err)}); trying again in ${this.pollMs / 1000} s`);
        }
      }
      await this.sleep();
    }
  }

  private sleep(): Promise<void> {
    if (this.pendingWake || this.stopped) {
      this.pendingWake = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, this.pollMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = null;
        this.pendingWake = false;
        done();
      };
    });
  }

  private async drain(): Promise<void> {
    while (this.leading && !this.stopped) {
      const r = await this.opts.store.claimRetrain(this.opts.worker);
      if (!r) return;
      await this.serve(r);
    }
  }

  private async serve(first: RetrainRequest): Promise<void> {
    this.inFlight.add(first.id);
    try {
      if (!first.force) {
        const recent = await this.recentTraining();
        if (recent) {
          const ageDays = (this.now() - recent.createdAt) / DAY_MS;
          const why =
            `the last training (model ${recent.version}, ${ageDays.toFixed(1)} days ago) is newer than ` +
            `MIN_RETRAIN_INTERVAL_DAYS=${this.opts.minIntervalDays}; file it with --force (or "force": true) to train anyway`;
          this.log.info({ request: first.id, source: first.source, model: recent.version }, `retrain request ${first.id} (${first.source}) skipped: ${why}`);
          await this.finish(first, { status: 'SKIPPED', error: why });
          return;
        }
      }
      const batch = [first];
      for (let r = await this.opts.store.claimRetrain(this.opts.worker); r; r = await this.opts.store.claimRetrain(this.opts.worker)) {
        this.inFlight.add(r.id);
        batch.push(r);
      }
      const sources = [...new Set(batch.map((r) => r.source))].join(', ');
      const label = batch.length === 1 ? `request ${first.id}` : `${batch.length} requests (${batch.map((r) => r.id).join(', ')})`;
      this.log.info({ requests: batch.map((r) => r.id), sources }, `retraining for ${label} from ${sources}${first.reason ? `: ${first.reason}` : ''}`);
      const outcome = await this.opts.trainer.run(`retrain requested (${sources})`);
      for (const r of batch) {
        if (outcome) {
          await this.finish(r, { status: 'DONE', modelVersion: outcome.version });
        } else if (this.stopped) {
          await this.interrupted(r, 'the training was cancelled because the daemon was stopping');
        } else {
          await this.finish(r, { status: 'FAILED', error: this.opts.trainer.lastError ?? 'the training failed; see the daemon log' });
        }
      }
      if (outcome) {
        this.log.info(
          { version: outcome.version, activated: outcome.activated, requests: batch.map((r) => r.id) },
          `retrain done: model ${outcome.version} ${outcome.activated ? 'is now active' : `was not activated (${outcome.reason})`}`,
        );
      }
    } finally {
      for (const id of this.inFlight) this.inFlight.delete(id);
    }
  }

  /** The newest finished training within the interval, or null when a training may run. */
  private async recentTraining(): Promise<ModelRecord | null> {
    if (this.opts.minIntervalDays <= 0) return null;
    const cutoff = this.now() - this.opts.minIntervalDays * DAY_MS;
    let newest: ModelRecord | null = null;
    for (const m of await this.opts.store.listModels()) {
      if (TRAINED.has(m.status) && m.createdAt > cutoff && (!newest || m.createdAt > newest.createdAt)) newest = m;
    }
    return newest;
  }

  /** Requests left RUNNING by a leader that is gone (see the file comment). */
  private async recoverInterrupted(): Promise<void> {
    const rows = await this.opts.store.listRetrains(ORPHAN_SCAN);
    for (const r of rows) {
      if (r.status !== 'RUNNING' || this.inFlight.has(r.id)) continue;
      const who = r.claimedBy === this.opts.worker ? 'an earlier run of this instance' : `instance ${r.claimedBy ?? 'unknown'}`;
      await this.interrupted(r, `interrupted: ${who} was running it and stopped leading (it died or lost its store connection) before it finished`);
    }
  }

  /** FAILED with `why`, and filed again once (a retry is not retried). */
  private async interrupted(r: RetrainRequest, why: string): Promise<void> {
    if (r.reason?.startsWith(RETRY_PREFIX)) {
      this.log.warn({ request: r.id }, `retrain request ${r.id} ${why}; it was already a retry, so it is not filed again`);
      await this.finish(r, { status: 'FAILED', error: `${why}; already a retry, not filed again` });
      return;
    }
    const again = await this.opts.store.enqueueRetrain({ source: r.source, force: r.force, reason: `${RETRY_PREFIX}${r.id}: ${r.reason ?? ''}`.trim() });
    this.log.warn({ request: r.id, retry: again.id }, `retrain request ${r.id} ${why}; filed again as ${again.id}`);
    await this.finish(r, { status: 'FAILED', error: `${why}; filed again as request ${again.id}` });
    this.pendingWake = true;
  }

  private async finish(r: RetrainRequest, result: { status: 'DONE' | 'FAILED' | 'SKIPPED'; modelVersion?: string; error?: string }): Promise<void> {
    let done: RetrainRequest;
    try {
      done = await this.opts.store.finishRetrain(r.id, result);
      retrainRequestsTotal.inc({ status: result.status });
    } catch (err) {
      // It stays RUNNING in the store; the next leader recovers it. Whoever waits hears the result.
      this.log.error({ err, request: r.id }, `could not record the end of retrain request ${r.id} (${result.status}): ${describeError(err)}`);
      done = { ...r, status: result.status, modelVersion: result.modelVersion ?? null, error: result.error ?? null, finishedAt: this.now() };
    }
    if (result.status === 'FAILED') this.log.warn({ request: r.id, error: result.error }, `retrain request ${r.id} failed: ${result.error}`);
    const list = this.waiters.get(r.id);
    this.waiters.delete(r.id);
    for (const resolve of list ?? []) resolve(done);
  }
}
