/**
 * Operational conditions as `alert` events (DESIGN.md "Sinks"): the daemon calls raise() while a
 * condition holds and clear() once it no longer does; the manager emits one `firing` alert when a
 * condition starts and one `resolved` when it clears, never a flood while it persists. notify() is
 * for things that happen rather than hold (a model promoted, the leadership changing): one alert each.
 *
 * Conditions (condition / subject / severity):
 *   feed_down        feed kind       critical  not streaming for alerts.feed_down_minutes
 *   outbox_stuck     ''              critical  store writes failing for alerts.outbox_stuck_minutes
 *   dead_letters     sink or outbox  warning   new dead letters; clears after a quiet period
 *   drift_detected   model version   warning   a drift check alarmed; clears at a check without drift
 *   retrain_failed   ''              critical  a training failed; clears when one succeeds
 *   model_refused    model version   warning   a trained model failed the promotion gate; clears at a promotion
 *   model_promoted   model version   info      (notice)
 *   leader_changed   instance        info      (notice)
 *
 * Event ids are stable per occurrence (`alert:<condition>:<subject>:<fired at>[:resolved]`), so a
 * resend after a restart dedupes at the receiver. With `state` (alert-state.ts) the firing
 * conditions survive a restart: the rule holds across it too.
 */
import type { Logger } from '../../log.ts';
import type { AlertState } from './alert-state.ts';
import type { AlertData, AlertSeverity, SinkEvent } from './sink.ts';

export interface AlertInput {
  severity: AlertSeverity;
  message: string;
  details?: Record<string, unknown>;
}

export interface AlertManagerOptions {
  /** Where alert events go (the sinks' fan-out). */
  publish: (events: SinkEvent[]) => void;
  log: Logger;
  now?: () => number;
  /** Where the firing conditions are kept across restarts; in memory only without it. */
  state?: AlertState;
}

const key = (condition: string, subject: string) => `${condition}\u0000${subject}`;

export class AlertManager {
  readonly #firing = new Map<string, AlertData>();
  readonly #opts: AlertManagerOptions;
  readonly #log: Logger;
  readonly #now: () => number;

  constructor(opts: AlertManagerOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ module: 'alerts' });
    this.#now = opts.now ?? Date.now;
    for (const a of opts.state?.load() ?? []) this.#firing.set(key(a.condition, a.subject), a);
    if (this.#firing.size > 0) this.#log.info({ firing: [...this.#firing.values()].map((a) => `${a.condition}:${a.subject}`) }, `${this.#firing.size} alert conditions were firing at the last stop; each resolves once it clears`);
  }

  /** The condition holds. Emits a firing alert unless it is already firing; returns whether it emitted. */
  raise(condition: string, subject: string, input: AlertInput): boolean {
    const k = key(condition, subject);
    if (this.#firing.has(k)) return false;
    const alert: AlertData = { condition, subject, severity: input.severity, state: 'firing', message: input.message, at: this.#now(), ...(input.details ? { details: input.details } : {}) };
    this.#firing.set(k, alert);
    this.#emit(alert, `alert:${condition}:${subject}:${alert.at}`);
    this.#save();
    return true;
  }

  /** The condition no longer holds. Emits a resolved alert if it was firing; returns whether it emitted. */
  clear(condition: string, subject: string, message?: string): boolean {
    const k = key(condition, subject);
    const fired = this.#firing.get(k);
    if (!fired) return false;
    this.#firing.delete(k);
    const at = this.#now();
    const minutes = Math.max(0, Math.round((at - fired.at) / 60_000));
    const alert: AlertData = { condition, subject, severity: fired.severity, state: 'resolved', message: message ?? `resolved after ${minutes} min: ${fired.message}`, at, details: { ...fired.details, fired_at: fired.at } };
    this.#emit(alert, `alert:${condition}:${subject}:${fired.at}:resolved`);
    this.#save();
    return true;
  }

  /** Something happened (no resolution follows). */
  notify(condition: string, subject: string, input: AlertInput): void {
    const at = this.#now();
    this.#emit({ condition, subject, severity: input.severity, state: 'firing', message: input.message, at, ...(input.details ? { details: input.details } : {}) }, `alert:${condition}:${subject}:${at}`);
  }

  isFiring(condition: string, subject: string): boolean {
    return this.#firing.has(key(condition, subject));
  }

  /** Conditions firing now (for the status page). */
  firing(): AlertData[] {
    return [...this.#firing.values()];
  }

  /** After the event is published (journaled by the sinks): a crash in between sends it twice rather than never. */
  #save(): void {
    this.#opts.state?.save([...this.#firing.values()]);
  }

  #emit(alert: AlertData, id: string): void {
    const level = alert.state === 'resolved' || alert.severity === 'info' ? 'info' : alert.severity === 'warning' ? 'warn' : 'error';
    this.#log[level]({ condition: alert.condition, subject: alert.subject, severity: alert.severity, state: alert.state }, `alert ${alert.state}: ${alert.condition}${alert.subject ? ` (${alert.subject})` : ''}: ${alert.message}`);
    this.#opts.publish([{ type: 'alert', id, data: alert }]);
  }
}

/** A drift check result (the hub's `drift` message) as the drift_detected condition. */
export function onDriftReport(alerts: AlertManager, report: Record<string, unknown>): void {
  const version = typeof report.model_version === 'string' ? report.model_version : '';
  const summary = typeof report.summary === 'string' ? report.summary : '';
  if (report.drift_detected === true) {
    alerts.raise('drift_detected', version, { severity: 'warning', message: `drift detected on ${version || 'the active model'}: ${summary}`, details: { status: report.status, scores: report.scores, action: report.action } });
  } else if (report.drift_detected === false) {
    alerts.clear('drift_detected', version, `no drift on ${version || 'the active model'} any more: ${summary}`);
  }
}

/** A model registry message (trained, trained_and_activated) as model_promoted / model_refused. */
export function onModelEvent(alerts: AlertManager, data: Record<string, unknown>): void {
  const version = typeof data.version === 'string' ? data.version : '';
  if (data.event === 'trained_and_activated') {
    for (const refused of alerts.firing().filter((a) => a.condition === 'model_refused')) alerts.clear('model_refused', refused.subject, `model ${version} was promoted since`);
    alerts.notify('model_promoted', version, { severity: 'info', message: `model ${version} passed the promotion gate and now serves signals` });
  } else if (data.event === 'trained') {
    const reason = typeof data.reason === 'string' ? data.reason : 'it did not pass the promotion gate';
    alerts.raise('model_refused', version, { severity: 'warning', message: `model ${version} was trained but refused: ${reason}`, details: { reason } });
  }
}
