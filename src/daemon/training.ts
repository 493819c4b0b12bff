/**
 * The trainings the daemon asks for itself. Both are filed in the retrain queue like every other
 * request (DESIGN.md "Scheduling, leadership, scale": one queue), and the leader's RetrainWorker
 * (retrain-worker.ts) serves them, so there is one path from a request to a model:
 *
 * - `--retrain-now`: a forced request, source 'flag'; under --once the replay ends, this instance
 *   (if it leads) trains on what is stored, then the daemon stops.
 * - RETRAIN_CRON: an unforced request, source 'cron' (the gate and the minimum interval apply).
 * - The bundled-sample demo with no active model: a forced request for a first model, filed by the
 *   leader only (so two instances sharing a Postgres train one), and only when no request is
 *   already waiting or running (a restart while the first training runs does not file a second).
 */
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { RetrainRequest } from '../store/types.ts';
import type { LeaderElector } from './leader.ts';
import type { RetrainWorker } from './retrain-worker.ts';

export const RETRAIN_NOW_REASON = 'signalbase run --retrain-now';
export const FIRST_MODEL_REASON = 'first model for the bundled sample';

export async function fileRetrainNow(store: Pick<Store, 'enqueueRetrain'>, log: Logger): Promise<RetrainRequest> {
  const r = await store.enqueueRetrain({ source: 'flag', force: true, reason: RETRAIN_NOW_REASON });
  log.info({ request: r.id }, `retrain request ${r.id} filed (--retrain-now); the leader trains now`);
  return r;
}

/** Files the first model's request unless a model is active or a request is already queued. */
export async function fileFirstModel(
  store: Pick<Store, 'enqueueRetrain' | 'listRetrains' | 'activeModel' | 'listCandleSeries'>,
  log: Logger,
): Promise<RetrainRequest | null> {
  if (await store.activeModel()) return null;
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
