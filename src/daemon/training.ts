/**
 * The trainings the daemon starts itself, beside the live signals.
 *
 * trainFirstModel (the bundled-sample demo with no active model): one training on the stored
 * history, as the retrain leader, so two instances sharing a Postgres do not both train one.
 *
 * `--retrain-now`: the request is filed in the retrain queue (source 'flag', forced) like every
 * other request, then served directly by this process: every PENDING request is claimed, ONE
 * training runs for all of them (a training started after a request satisfies it), and each request
 * is finished DONE with the model version or FAILED with the reason.
 *
 * This is the minimal path until the leader's queue worker exists (DESIGN.md "Scheduling,
 * leadership, scale"): it takes leadership first, so with Postgres only the leader trains.
 */
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { RetrainRequest } from '../store/types.ts';
import type { BackgroundTrainer } from './models.ts';

export type RetrainStore = Pick<Store, 'enqueueRetrain' | 'claimRetrain' | 'finishRetrain' | 'tryAcquireLeadership'>;

export async function trainFirstModel(store: Pick<Store, 'listCandleSeries' | 'tryAcquireLeadership'>, trainer: BackgroundTrainer, log: Logger): Promise<void> {
  const lease = await store.tryAcquireLeadership('retrain');
  if (!lease) {
    log.info('another instance leads training; it trains the first model');
    return;
  }
  try {
    const candles = (await store.listCandleSeries()).reduce((n, s) => n + s.count, 0);
    log.info({ candles }, `training a first model on ${candles.toLocaleString('en-US')} stored candles in the background; rule-based signals meanwhile`);
    await trainer.run('first model for the bundled sample');
  } finally {
    await lease.release().catch((err: unknown) => log.warn({ err }, 'releasing retrain leadership failed'));
  }
}

export async function retrainNow(store: RetrainStore, trainer: BackgroundTrainer, worker: string, log: Logger): Promise<void> {
  const mine = await store.enqueueRetrain({ source: 'flag', force: true, reason: 'signalbase run --retrain-now' });
  log.info({ request: mine.id }, 'retrain requested with --retrain-now');
  const lease = await store.tryAcquireLeadership('retrain');
  if (!lease) {
    log.info({ request: mine.id }, 'another instance leads retraining; it will pick the request up');
    return;
  }
  try {
    const claimed: RetrainRequest[] = [];
    for (let r = await store.claimRetrain(worker); r; r = await store.claimRetrain(worker)) claimed.push(r);
    if (claimed.length === 0) return;
    const outcome = await trainer.run(`retrain requested (${claimed.map((r) => r.source).join(', ')})`);
    for (const r of claimed) {
      try {
        if (outcome) await store.finishRetrain(r.id, { status: 'DONE', modelVersion: outcome.version });
        else await store.finishRetrain(r.id, { status: 'FAILED', error: 'the training failed or was cancelled; see the daemon log' });
      } catch (err) {
        log.error({ err, request: r.id }, `could not record the end of retrain request ${r.id}: ${describeError(err)}`);
      }
    }
  } finally {
    await lease.release().catch((err: unknown) => log.warn({ err }, 'releasing retrain leadership failed'));
  }
}
