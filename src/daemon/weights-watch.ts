/**
 * Live indicator weights: the daemon polls ml_indicator_weights (WEIGHTS_POLL_SECONDS) and, when
 * a row changed (a training moved the weights, an analyst edited one), hands the new weights to
 * the engine, which swaps them in at the next tick boundary, and to the API (`/v1/indicators`).
 * A poll works the same on PGlite, Postgres and Supabase (17 rows over REST); polls never overlap.
 */
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../domain/indicators.ts';
import { weightsFromRecords, type IndicatorWeights } from '../features/weights.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';

export interface WeightsWatchOptions {
  store: Pick<Store, 'getWeights'>;
  /** The weights in use now. */
  current: () => IndicatorWeights;
  /** Called with the new weights and what changed (column → [before, after]). */
  apply: (weights: IndicatorWeights, changed: Partial<Record<IndicatorColumn, [number, number]>>) => void;
  log: Logger;
  /** 0 disables the timer (poll() still works). */
  everyMs: number;
}

export class WeightsWatcher {
  readonly #opts: WeightsWatchOptions;
  #timer: ReturnType<typeof setInterval> | null = null;
  #polling: Promise<boolean> | null = null;
  #failing = false;

  constructor(opts: WeightsWatchOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (this.#timer || !(this.#opts.everyMs > 0)) return;
    this.#timer = setInterval(() => void this.poll(), this.#opts.everyMs);
    this.#timer.unref();
  }

  /** Reads the stored weights once; true when they differed and were applied. */
  poll(): Promise<boolean> {
    this.#polling ??= this.#read().finally(() => (this.#polling = null));
    return this.#polling;
  }

  async #read(): Promise<boolean> {
    const { store, current, apply, log } = this.#opts;
    let next: IndicatorWeights;
    try {
      next = weightsFromRecords(await store.getWeights());
    } catch (err) {
      // Once per outage at warn; the weights in use stay.
      if (!this.#failing) log.warn({ err }, 'reading ml_indicator_weights failed; keeping the weights in use');
      this.#failing = true;
      return false;
    }
    if (this.#failing) log.info('ml_indicator_weights readable again');
    this.#failing = false;
    const now = current();
    const changed: Partial<Record<IndicatorColumn, [number, number]>> = {};
    for (const c of INDICATOR_COLUMNS) if (now[c] !== next[c]) changed[c] = [now[c], next[c]];
    const names = Object.keys(changed);
    if (names.length === 0) return false;
    apply(next, changed);
    log.info({ changed }, `indicator weights changed in the store (${names.join(', ')}); the next tick uses them`);
    return true;
  }

  /** Idempotent. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }
}
