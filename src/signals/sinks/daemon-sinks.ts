/**
 * The daemon's side of the sinks until the fan-out (fanout.ts, house refactor) takes the hub and
 * these as one list: loads SINKS_FILE, creates and starts the sinks, turns the daemon's publish
 * calls into SinkEvents with stable ids, feeds the alert manager, and stops everything (drain,
 * then what is left stays journaled).
 *
 * Event ids: a signal's own id; `outcome:<prediction id>`; `model:<version>:<event>`;
 * `drift:<record id or checked_at>`; alerts as alerts.ts names them.
 */
import type { Logger } from '../../log.ts';
import type { Signal } from '../signal.ts';
import { AlertWatcher, type WatchedSources } from './alert-watch.ts';
import { AlertManager, onDriftReport, onModelEvent } from './alerts.ts';
import { createSinks } from './kinds.ts';
import type { SignalSink, SinkEvent, SinkStatus } from './sink.ts';
import { loadSinksFile, parseSinks, type AlertsSpec } from './sinks-file.ts';

/** What the daemon's components publish to (the hub's four methods). */
export interface EventPublisher {
  publishSignals(signals: readonly Signal[]): void;
  publishOutcome(data: Record<string, unknown>): void;
  publishModel(data: Record<string, unknown>): void;
  publishDrift(data: Record<string, unknown>): void;
}

export class DaemonSinks implements EventPublisher {
  readonly alerts: AlertManager;
  readonly #sinks: SignalSink[];
  readonly #spec: AlertsSpec;
  readonly #log: Logger;
  #watcher: AlertWatcher | null = null;
  #stopped: Promise<void> | null = null;

  private constructor(sinks: SignalSink[], spec: AlertsSpec, log: Logger) {
    this.#sinks = sinks;
    this.#spec = spec;
    this.#log = log.child({ module: 'sinks' });
    this.alerts = new AlertManager({ publish: (events) => this.#publish(events), log });
  }

  /** Reads SINKS_FILE (a ConfigError, exit 2, when it is bad) and opens each sink's journal. No file: no sinks. */
  static open(opts: { sinksFile: string | undefined; dataDir: string }, log: Logger): DaemonSinks {
    const file = opts.sinksFile ? loadSinksFile(opts.sinksFile) : parseSinks({});
    return new DaemonSinks(createSinks(file.sinks, { dataDir: opts.dataDir, log }), file.alerts, log);
  }

  get size(): number {
    return this.#sinks.length;
  }

  async start(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => s.start()));
  }

  /** Starts the periodic checks of feed, outbox and dead letters. */
  watch(sources: Omit<WatchedSources, 'deadLetters'> & { outboxDeadLetters?: () => number }): void {
    if (this.#watcher || this.#stopped) return;
    this.#watcher = new AlertWatcher(
      this.alerts,
      {
        ...sources,
        deadLetters: () => ({
          ...Object.fromEntries(this.#sinks.map((s) => [s.name, s.status().deadLetters])),
          ...(sources.outboxDeadLetters ? { outbox: sources.outboxDeadLetters() } : {}),
        }),
      },
      this.#spec,
      this.#log,
    );
    this.#watcher.start();
  }

  publishSignals(signals: readonly Signal[]): void {
    this.#publish(signals.map((s) => ({ type: 'signal', id: s.id, data: s })));
  }

  publishOutcome(data: Record<string, unknown>): void {
    this.#publish([{ type: 'outcome', id: `outcome:${String(data.prediction_id ?? data.id ?? '')}`, data }]);
  }

  publishModel(data: Record<string, unknown>): void {
    this.#publish([{ type: 'model', id: `model:${String(data.version ?? '')}:${String(data.event ?? '')}`, data }]);
    onModelEvent(this.alerts, data);
  }

  publishDrift(data: Record<string, unknown>): void {
    this.#publish([{ type: 'drift', id: `drift:${String(data.record_id ?? data.checked_at ?? '')}`, data }]);
    onDriftReport(this.alerts, data);
  }

  statuses(): SinkStatus[] {
    return this.#sinks.map((s) => s.status());
  }

  /** Stops the checks and every sink (each drains within `deadlineMs`, in parallel). Idempotent. */
  stop(deadlineMs = 3_000): Promise<void> {
    this.#stopped ??= (async () => {
      this.#watcher?.stop();
      const results = await Promise.allSettled(this.#sinks.map((s) => (s.stop as (ms?: number) => Promise<void>)(deadlineMs)));
      results.forEach((r, i) => {
        if (r.status === 'rejected') this.#log.warn({ err: r.reason as unknown }, `stopping sink ${this.#sinks[i]!.name} failed`);
      });
    })();
    return this.#stopped;
  }

  #publish(events: SinkEvent[]): void {
    for (const s of this.#sinks) s.publish(events);
  }
}

/** The hub and the sinks as one publisher: the hub first (the websocket is never behind a sink). */
export function teePublisher(hub: () => EventPublisher | undefined, sinks: () => EventPublisher | null): EventPublisher {
  return {
    publishSignals: (s) => {
      hub()?.publishSignals(s);
      sinks()?.publishSignals(s);
    },
    publishOutcome: (d) => {
      hub()?.publishOutcome(d);
      sinks()?.publishOutcome(d);
    },
    publishModel: (d) => {
      hub()?.publishModel(d);
      sinks()?.publishModel(d);
    },
    publishDrift: (d) => {
      hub()?.publishDrift(d);
      sinks()?.publishDrift(d);
    },
  };
}

/** A training function (daemon/models.ts Trainer) whose failures raise retrain_failed and whose success clears it. */
export function alertingTrainer<O extends { signal: AbortSignal; reason: string }, R>(trainer: (opts: O) => Promise<R>, alerts: () => AlertManager | undefined): (opts: O) => Promise<R> {
  return async (opts) => {
    try {
      const out = await trainer(opts);
      alerts()?.clear('retrain_failed', '', 'a training succeeded since');
      return out;
    } catch (err) {
      if (!opts.signal.aborted) alerts()?.raise('retrain_failed', '', { severity: 'critical', message: `a training failed (${opts.reason}): ${err instanceof Error ? err.message : String(err)}; signals continue with the current model` });
      throw err;
    }
  };
}
