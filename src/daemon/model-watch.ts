/**
 * Every instance serves the model active in the shared store (issue 20, fault 6). The instance that
 * trains a model installs it itself (models.ts BackgroundTrainer); every other one, a follower or
 * another shard, and every instance after `signalbase models activate|rollback`, learns of it here:
 * the store's active model is polled every `pollMs` and, when it is not the one served, loaded and
 * swapped in at the next tick boundary (ModelSlot.install).
 *
 * A version that fails to load is logged once and not retried until another version becomes active
 * (a broken artifact must not flood the log every poll); the current model keeps serving meanwhile.
 * A store that cannot be read is logged once per outage. stop() is idempotent and waits for a poll
 * in flight.
 */
import { describeError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { ModelLoader, ModelSlot } from './models.ts';

export interface ActiveModelWatchOptions {
  store: Pick<Store, 'activeModel'>;
  slot: Pick<ModelSlot, 'version' | 'install'>;
  load: ModelLoader;
  log: Logger;
  /** Default 5 s. */
  pollMs?: number;
}

export class ActiveModelWatch {
  private readonly log: Logger;
  private readonly pollMs: number;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | null = null;
  private stopped = false;
  private failedVersion: string | null = null;
  private storeDown = false;

  constructor(private readonly opts: ActiveModelWatchOptions) {
    this.log = opts.log.child({ module: 'model-watch' });
    this.pollMs = opts.pollMs ?? 5_000;
    if (!(this.pollMs > 0)) throw new RangeError(`pollMs must be positive, got ${this.pollMs}`);
  }

  start(): void {
    if (this.timer || this.stopped) return;
    this.schedule();
  }

  /** One poll now: installs the store's active model when it is not the one served. */
  check(): Promise<void> {
    this.inFlight ??= this.poll().finally(() => (this.inFlight = null));
    return this.inFlight;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      void this.check().finally(() => this.schedule());
    }, this.pollMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { store, slot, load } = this.opts;
    let active: string | null;
    try {
      active = (await store.activeModel())?.version ?? null;
      if (this.storeDown) this.log.info('the store answers again; watching the active model');
      this.storeDown = false;
    } catch (err) {
      if (!this.storeDown) this.log.warn({ err }, `cannot read the active model (${describeError(err)}); serving ${slot.version ?? 'rules'} until the store answers`);
      this.storeDown = true;
      return;
    }
    if (active === null || active === slot.version || active === this.failedVersion || this.stopped) return;
    try {
      const model = await load();
      if (!model) return;
      if (this.stopped) {
        model.dispose();
        return;
      }
      this.log.info({ version: model.version, previous: slot.version ?? 'rules' }, `the store's active model is now ${model.version} (activated by another instance or \`models activate\`); serving it from the next candle`);
      slot.install(model, 'loaded');
      this.failedVersion = null;
    } catch (err) {
      this.failedVersion = active;
      this.log.error({ err, version: active }, `the active model ${active} cannot be loaded (${describeError(err)}); still serving ${slot.version ?? 'rules'}`);
    }
  }
}
