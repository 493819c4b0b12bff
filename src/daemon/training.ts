/**
 * The trainings the daemon asks for itself. Both are filed in the retrain queue like every other
 * request (DESIGN.md "Scheduling, leadership, scale": one queue), and the leader's RetrainWorker
 * (retrain-worker.ts) serves them, so there is one path from a request to a model:
 *
 * - `--retrain-now`: a forced request, source 'flag'; under --once the replay ends, this instance
 *   (if it leads) trains on what is stored, then the daemon stops.
 * - RETRAIN_CRON: an unforced request, source 'cron' (the gate and the minimum interval apply).
 * - The bundled-sample demo with no active model: a forced request for a first model, filed by the
 *   leader only (so two instances sharing a Postgres train one), and only when no model has finished
 *   training (the registry: one the gate refused stays refused) and no request is already waiting
 *   or running (a restart while the first training runs does not file a second).
 */
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { ModelStatus, RetrainRequest } from '../store/types.ts';
import type { Config } from '../config.ts';
import type { LeaderElector } from './leader.ts';
import type { RetrainWorker } from './retrain-worker.ts';
import { Scheduler, type DriftCheckHook } from './scheduler.ts';

export const RETRAIN_NOW_REASON = 'signalbase run --retrain-now';
export const FIRST_MODEL_REASON = 'first model for the bundled sample';

export async function fileRetrainNow(store: Pick<Store, 'enqueueRetrain'>, log: Logger): Promise<RetrainRequest> {
  const r = await store.enqueueRetrain({ source: 'flag', force: true, reason: RETRAIN_NOW_REASON });
  log.info({ request: r.id }, `retrain request ${r.id} filed (--retrain-now); the leader trains now`);
  return r;
}

/**
 * A registry status that means a training ran to its end: the model was gated (and refused, or
 * activated and since retired or rejected). 'training' (a run still going, or one a crash cut
 * short) and 'failed' do not count: the first model is tried again.
 */
const FINISHED: ReadonlySet<ModelStatus> = new Set(['trained', 'active', 'retired', 'rejected']);

/**
 * Files the first model's request unless a model is active, a model has already finished training
 * (the registry says so, however many requests were filed since), or a request is already queued.
 */
export async function fileFirstModel(
  store: Pick<Store, 'enqueueRetrain' | 'listRetrains' | 'activeModel' | 'listModels' | 'listCandleSeries'>,
  log: Logger,
): Promise<RetrainRequest | null> {
  if (await store.activeModel()) return null;
  // A model trained before and refused by the gate is not followed by another first model at every
  // restart: the rules serve until `signalbase retrain --force`, a cron or a drift retrain passes the gate.
  const trained = (await store.listModels()).filter((m) => FINISHED.has(m.status)).sort((a, b) => b.createdAt - a.createdAt)[0];
  if (trained) {
    log.info(
      { model: trained.version, status: trained.status },
      `model ${trained.version} was trained before and is not active (${trained.status}); no other first model is filed (the rules serve until a retrain passes the gate)`,
    );
    return null;
  }
  // Requests are claimed oldest first, so an open one is among the newest.
  const open = (await store.listRetrains(50)).find((r) => r.status === 'PENDING' || r.status === 'RUNNING');
  if (open) {
    log.info({ request: open.id }, `retrain request ${open.id} is already ${open.status.toLowerCase()}; it trains the first model`);
    return null;
  }
  const candles = (await store.listCandleSeries()).reduce((n, s) => n + s.count, 0);
  const r = await store.enqueueRetrain({ source: 'flag', force: true, reason: FIRST_MODEL_REASON });
  log.info(
    { candles, request: r.id },
    `training a first model on ${candles.toLocaleString('en-US')} stored candles in the background (request ${r.id}); rule-based signals meanwhile`,
  );
  return r;
}

export async function fileScheduledRetrain(store: Pick<Store, 'enqueueRetrain'>, cron: string, log: Logger): Promise<RetrainRequest> {
  const r = await store.enqueueRetrain({ source: 'cron', force: false, reason: `RETRAIN_CRON ${cron}` });
  log.info({ request: r.id }, `scheduled retrain request ${r.id} filed`);
  return r;
}

/** --once --retrain-now after the replay: file the request and, as the leader, serve it now. */
export async function retrainNowThenStop(d: { store: Pick<Store, 'enqueueRetrain'>; elector: LeaderElector; retrainWorker: RetrainWorker; log: Logger }): Promise<void> {
  try {
    const request = await fileRetrainNow(d.store, d.log);
    await d.elector.start();
    if (d.elector.isLeader) {
      d.log.info('training now on the stored history (--retrain-now), then stopping');
      const finished = d.retrainWorker.finished(request.id);
      d.retrainWorker.start();
      d.retrainWorker.wake();
      await finished;
    } else {
      d.log.info({ request: request.id }, 'another instance leads: it will serve the --retrain-now request; stopping');
    }
  } catch (err) {
    d.log.error({ err }, `--retrain-now failed: ${describeError(err)}`);
  }
}

export interface RetrainQueueDeps {
  store: Pick<Store, 'enqueueRetrain' | 'listRetrains' | 'activeModel' | 'listModels' | 'listCandleSeries'>;
  elector: LeaderElector;
  retrainWorker: RetrainWorker;
  config: Pick<Config, 'retrainCron' | 'driftCron'>;
  driftCheck: DriftCheckHook;
  /** File a forced request now (--retrain-now). */
  retrainNow: boolean;
  /** The demo with no active model: file the first model's request on winning the leadership. */
  firstModel: boolean;
  /** Checked again when the leadership is won: still no model, not stopping. */
  stillNoModel: () => boolean;
  log: Logger;
}

/**
 * The retrain queue and the schedules of a running daemon: the cron schedules (leader only), the
 * queue worker, the --retrain-now or first-model request, then the leadership election.
 */
export function startRetrainQueue(d: RetrainQueueDeps): Scheduler {
  const log = d.log.child({ module: 'retrain' });
  const { elector, retrainWorker } = d;
  const scheduler = new Scheduler({
    retrainCron: d.config.retrainCron,
    driftCron: d.config.driftCron,
    isLeader: () => elector.isLeader,
    fileRetrain: () => fileScheduledRetrain(d.store, d.config.retrainCron, log).then(() => retrainWorker.wake()),
    driftCheck: d.driftCheck,
    log: d.log,
  });
  scheduler.start();
  retrainWorker.start();
  if (d.firstModel) {
    elector.onChange((status) => {
      if (status !== 'leader' || !d.stillNoModel()) return;
      void fileFirstModel(d.store, log)
        .then((r) => r && retrainWorker.wake())
        .catch((err: unknown) => log.error({ err }, `could not file the first model's training: ${describeError(err)}`));
    });
  }
  void (async () => {
    if (d.retrainNow) await fileRetrainNow(d.store, log);
    await elector.start(); // winning it files the first model's request (the listener above)
    if (!elector.isLeader) log.info('another instance leads: it serves the retrain queue and the schedules; this one takes over if it stops');
    retrainWorker.wake();
  })().catch((err: unknown) => log.error({ err }, `starting the retrain queue failed: ${describeError(err)}`));
  return scheduler;
}
