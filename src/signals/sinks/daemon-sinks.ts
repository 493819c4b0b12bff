/**
 * The daemon's side of SINKS_FILE: read it (a ConfigError, exit 2, when it is bad) and build its
 * sinks through the registry, so the daemon adds them to its fan-out after the websocket hub; the
 * alert manager that publishes into that fan-out, with the periodic checks of the feed, the outbox
 * and the dead letters; and a trainer wrapper that raises and clears retrain_failed.
 */
import type { Clock } from '../../domain/clock.ts';
import type { SourceStatus } from '../../ingest/source.ts';
import type { Logger } from '../../log.ts';
import { AlertState, alertStatePath } from './alert-state.ts';
import { AlertWatcher, type WatchedSources } from './alert-watch.ts';
import { AlertManager } from './alerts.ts';
import { QueuedSink } from './queued-sink.ts';
import { createSinks, type SinkDeps } from './registry.ts';
import type { SignalSink, SinkEvent, SinkStatus } from './sink.ts';
import { loadSinksFile, parseSinks, type AlertsSpec } from './sinks-file.ts';

export interface FileSinks {
  sinks: SignalSink[];
  alerts: AlertsSpec;
  /** Where the firing alert conditions are kept across restarts (alert-state.ts). */
  alertState: string;
}

/** SINKS_FILE's sinks (journals opened, not started) and alert thresholds; none without a file. */
export function loadFileSinks(sinksFile: string | undefined, deps: SinkDeps): FileSinks {
  const file = sinksFile ? loadSinksFile(sinksFile) : parseSinks({});
  return { sinks: createSinks(file.sinks, deps), alerts: file.alerts, alertState: alertStatePath(deps.dataDir) };
}

/**
 * Stops SINKS_FILE's sinks at once, each draining its queue for at most `deadlineMs` (the fan-out
 * stops sinks one after another; N hung receivers would otherwise cost N deadlines). What is left
 * stays journaled. The fan-out's later stop() of the same sinks returns at once (stop is idempotent).
 */
export async function drainSinks(sinks: readonly SignalSink[], deadlineMs: number): Promise<void> {
  await Promise.allSettled(sinks.map((s) => (s instanceof QueuedSink ? s.stop(deadlineMs) : s.stop())));
}

export interface DaemonAlertsOptions {
  spec: AlertsSpec;
  /** The fan-out's publish (alerts go to every sink that takes them). */
  publish: (events: SinkEvent[]) => void;
  /** The fan-out's rows: each sink's dead letters. */
  sinkStatus: () => SinkStatus[];
  clock: Clock;
  log: Logger;
  /** FileSinks.alertState: the firing conditions survive a restart. */
  statePath?: string;
}

/** The alert manager and its watcher; watch() starts the checks once the components exist. */
export class DaemonAlerts {
  readonly manager: AlertManager;
  #watcher: AlertWatcher | null = null;

  constructor(private readonly opts: DaemonAlertsOptions) {
    this.manager = new AlertManager({ publish: opts.publish, log: opts.log, now: () => opts.clock.now(), ...(opts.statePath ? { state: new AlertState(opts.statePath, opts.log) } : {}) });
  }

  watch(sources: Omit<WatchedSources, 'deadLetters'> & { outboxDeadLetters?: () => number }): void {
    if (this.#watcher) return;
    const deadLetters = () => ({
      ...Object.fromEntries(this.opts.sinkStatus().map((s) => [s.name, s.deadLetters])),
      ...(sources.outboxDeadLetters ? { outbox: sources.outboxDeadLetters() } : {}),
    });
    this.#watcher = new AlertWatcher(this.manager, { ...sources, deadLetters }, this.opts.spec, this.opts.log.child({ module: 'alerts' }), () => this.opts.clock.now());
    this.#watcher.start();
  }

  /**
   * Watches the daemon's components once they exist: leadership changes become notices; the feed,
   * the outbox and every sink's dead letters are checked for alert conditions.
   */
  attach(c: {
    worker: string;
    elector: { onChange(listener: (status: 'leader' | 'follower') => void): unknown };
    source: { readonly kind: string; readonly status: SourceStatus; onStatus(listener: (status: SourceStatus) => void): unknown };
    outbox: { health(): { state: string; lastError?: { code: string; message: string } | null; deadLetters: number } };
  }): void {
    c.elector.onChange((status) =>
      this.manager.notify('leader_changed', c.worker, { severity: 'info', message: `${c.worker} is now ${status === 'leader' ? 'the leader (retrains, drift checks)' : 'a follower'}` }),
    );
    this.watch({
      feed: () => ({ kind: c.source.kind, status: c.source.status }),
      outbox: () => {
        const h = c.outbox.health();
        return { state: h.state, lastError: h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : null };
      },
      outboxDeadLetters: () => c.outbox.health().deadLetters,
    });
    c.source.onStatus((status) => this.feedStatus(status));
  }

  /** Pass CandleSource.onStatus changes here: a feed outage is timed from when it started. */
  feedStatus(status: SourceStatus): void {
    this.#watcher?.feedStatus(status);
  }

  /** One look at the watched components now (the timer does this every check_seconds). */
  check(): Promise<void> {
    return this.#watcher?.check() ?? Promise.resolve();
  }

  stop(): void {
    this.#watcher?.stop();
  }
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
