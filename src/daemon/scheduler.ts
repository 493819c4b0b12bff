/**
 * The daemon's clocks (DESIGN.md "Configuration" RETRAIN_CRON, DRIFT_CRON): node-cron tasks that
 * run on every instance but act only on the leader, so N instances file one scheduled retrain, not N.
 *
 * - RETRAIN_CRON files a retrain request that is not forced (source 'cron'); the queue worker
 *   skips it when the last training is newer than MIN_RETRAIN_INTERVAL_DAYS.
 * - DRIFT_CRON calls the drift-check hook. The drift module plugs in there; until it does, the
 *   default hook only says so at debug.
 *
 * A run that fails is logged and the schedule continues. Overlapping runs of one task are skipped
 * (noOverlap). Times follow the process time zone (TZ), as cron does.
 */
import { schedule, type ScheduledTask } from 'node-cron';
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';

/** One drift check now (leader only). */
export type DriftCheckHook = () => Promise<void>;

/** The hook until the drift module exists. */
export function driftNotAvailable(log: Logger): DriftCheckHook {
  return async () => log.debug('drift check: not available yet');
}

export interface SchedulerOptions {
  retrainCron: string;
  driftCron: string;
  /** Whether this instance leads right now. */
  isLeader: () => boolean;
  /** Files a scheduled (not forced) retrain request. */
  fileRetrain: () => Promise<void>;
  driftCheck: DriftCheckHook;
  log: Logger;
}

export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private stopping: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly opts: SchedulerOptions) {
    this.log = opts.log.child({ module: 'scheduler' });
  }

  /** Schedules both tasks. The expressions were validated by config.ts. */
  start(): void {
    if (this.tasks.length > 0 || this.stopping) return;
    const { retrainCron, driftCron } = this.opts;
    this.tasks = [
      this.task('retrain', retrainCron, async () => {
        await this.opts.fileRetrain();
      }),
      this.task('drift check', driftCron, () => this.opts.driftCheck()),
    ];
    this.log.info({ retrainCron, driftCron }, `scheduled retrain at "${retrainCron}", drift check at "${driftCron}" (on the leader)`);
  }

  /** Unschedules both tasks. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const t of this.tasks.splice(0)) {
        try {
          await t.destroy();
        } catch (err) {
          this.log.warn({ err }, `unscheduling ${t.name ?? 'a task'} failed: ${describeError(err)}`);
        }
      }
    })();
    return this.stopping;
  }

  private task(name: string, expr: string, run: () => Promise<void>): ScheduledTask {
    return schedule(
      expr,
      async () => {
        if (this.stopping) return;
        if (!this.opts.isLeader()) {
          this.log.debug(`scheduled ${name}: another instance leads; nothing to do here`);
          return;
        }
        try {
          await run();
        } catch (err) {
          this.log.error({ err }, `scheduled ${name} failed: ${describeError(err)}; the schedule continues`);
        }
      },
      {
        name: `signalbase ${name}`,
        noOverlap: true,
        // node-cron's own messages (missed runs after a stall) go to our log, not the console.
        logger: {
          info: (m) => this.log.debug(`node-cron: ${m}`),
          warn: (m) => this.log.warn(`node-cron: ${m}`),
          error: (m, err) => this.log.error({ err: err ?? m }, `node-cron: ${m instanceof Error ? m.message : m}`),
          debug: (m) => this.log.debug(`node-cron: ${m instanceof Error ? m.message : m}`),
        },
      },
    );
  }
}
