/**
 * The daemon's drift monitor: keeps the recent window of the model that is serving (fed once per
 * tick from the tick loop's output) and runs a check when the scheduler (DRIFT_CRON, leader only),
 * POST /v1/drift/check or a test asks.
 *
 *   tick loop ──observe(tick)──► DriftWindow (bounded rings) ──check()──► checkDrift ──► actOnCheck
 *
 * Only model signals count (a rule-consensus signal has no model to drift from). When signals of a
 * new model version arrive, the window is reset: the old model's vectors say nothing about the new
 * one. The model's reference is read from the store once per version.
 */
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../log.ts';
import type { TickOutput } from '../signals/engine.ts';
import { RULES_MODEL_VERSION } from '../signals/policy.ts';
import { actOnCheck, type DriftActionDeps, type DriftReport } from './action.ts';
import { checkDrift, type DriftThresholds } from './check.ts';
import { loadModelReference, type ModelReference } from './reference.ts';
import { DriftWindow } from './window.ts';

export interface DriftMonitorOptions {
  store: DriftActionDeps['store'] & Parameters<typeof loadModelReference>[0] & { activeModel(): Promise<{ version: string } | null> };
  /** Recent vectors (and predictions, outcomes) kept: DRIFT_WINDOW. */
  window: number;
  minOutcomes: number;
  cooldownMs: number;
  clock: Clock;
  log: Logger;
  thresholds?: Partial<DriftThresholds>;
  publish?: (data: Record<string, unknown>) => void;
  onRetrainFiled?: () => void;
}

export class DriftMonitor {
  private readonly window: DriftWindow;
  private readonly log: Logger;
  private version: string | null = null;
  private reference: ModelReference | null = null;
  private running: Promise<DriftReport | null> | null = null;

  constructor(private readonly opts: DriftMonitorOptions) {
    this.window = new DriftWindow(opts.window);
    this.log = opts.log.child({ module: 'drift' });
  }

  /** The model version the window holds (null before any model signal). */
  get modelVersion(): string | null {
    return this.version;
  }

  get vectors(): number {
    return this.window.vectors;
  }

  /** One tick's output: model signals' feature rows and classes, and the outcomes of this model's signals. Cheap, allocation-free. */
  readonly observe = (out: Pick<TickOutput, 'signals' | 'resolved'>): void => {
    for (const s of out.signals) {
      if (s.modelVersion === RULES_MODEL_VERSION) continue;
      if (s.modelVersion !== this.version) this.reset(s.modelVersion);
      const latest = (s.inputFeatures as { latest?: ArrayLike<number> }).latest ?? null;
      this.window.addPrediction(s.symbol, latest, s.predictedDirection, s.confidenceScore);
    }
    for (const r of out.resolved) {
      const m = r.message;
      if (m.model_version !== this.version) continue;
      const trade = m.predicted_direction !== 'HOLD';
      this.window.addOutcome(m.correct, trade, trade && m.profit_loss_pct > 0);
    }
  };

  private reset(version: string): void {
    if (this.version !== null) this.log.info({ from: this.version, to: version }, `drift window reset: model ${version} now serves`);
    this.version = version;
    this.window.clear();
  }

  /** The scheduler's hook (DRIFT_CRON). */
  readonly hook = async (): Promise<void> => {
    await this.check();
  };

  /** Runs one check now (concurrent calls share one run); null when no model is serving or active. */
  check(): Promise<DriftReport | null> {
    this.running ??= this.runCheck().finally(() => (this.running = null));
    return this.running;
  }

  private async runCheck(): Promise<DriftReport | null> {
    const version = this.version ?? (await this.opts.store.activeModel())?.version ?? null;
    if (version === null) {
      this.log.info('drift check: no model is active yet (rule consensus); nothing to compare');
      return null;
    }
    if (this.reference?.version !== version) this.reference = await loadModelReference(this.opts.store, version);
    const snap = this.window.snapshot();
    const result = checkDrift({ model: this.reference, ...snap, thresholds: { minOutcomes: this.opts.minOutcomes, ...this.opts.thresholds } });
    return actOnCheck({ store: this.opts.store, cooldownMs: this.opts.cooldownMs, clock: this.opts.clock, log: this.log, publish: this.opts.publish, onRetrainFiled: this.opts.onRetrainFiled }, result);
  }
}
