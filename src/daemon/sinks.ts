/**
 * The daemon's fan-out of sinks (signals/sinks/): the websocket hub first, then the sinks a caller
 * passes and SINKS_FILE's, started before anything publishes, with the alert manager over them.
 * Model and drift events go to every sink and feed the alert conditions.
 */
import type { Clock } from '../domain/clock.ts';
import type { Logger } from '../log.ts';
import { StreamHubSink } from '../serve/hub-sink.ts';
import type { StreamHub } from '../serve/stream-hub.ts';
import { onDriftReport, onModelEvent } from '../signals/sinks/alerts.ts';
import { DaemonAlerts, drainSinks, type FileSinks } from '../signals/sinks/daemon-sinks.ts';
import { driftEvent, modelEvent } from '../signals/sinks/events.ts';
import { SinkFanout } from '../signals/sinks/fanout.ts';
import type { SignalSink } from '../signals/sinks/sink.ts';

export interface DaemonSinks {
  sinks: SinkFanout;
  alerts: DaemonAlerts;
  publishModel(data: Record<string, unknown>): void;
  publishDrift(data: Record<string, unknown>): void;
}

export async function startDaemonSinks(o: { hub: StreamHub; stopDeadlineMs: number; extra: readonly SignalSink[]; file: FileSinks; clock: Clock; log: Logger }): Promise<DaemonSinks> {
  const sinks = new SinkFanout([new StreamHubSink(o.hub, o.stopDeadlineMs), ...o.extra, ...o.file.sinks], o.log);
  await sinks.start(); // events SINKS_FILE's sinks journaled in the last run are delivered from here on
  const alerts = new DaemonAlerts({ spec: o.file.alerts, publish: (e) => sinks.publish(e), sinkStatus: () => sinks.status(), clock: o.clock, log: o.log, statePath: o.file.alertState });
  return {
    sinks,
    alerts,
    publishModel(data) {
      sinks.publish([modelEvent(data)]);
      onModelEvent(alerts.manager, data);
    },
    publishDrift(data) {
      sinks.publish([driftEvent(data)]);
      onDriftReport(alerts.manager, data);
    },
  };
}

/**
 * Stops the alert checks, lets SINKS_FILE's sinks drain in parallel (the fan-out stops sinks one by
 * one; their stop is idempotent), then stops the fan-out. `step` runs each in its own try/catch.
 */
export async function stopDaemonSinks(set: DaemonSinks | null, fileSinks: readonly SignalSink[], step: (what: string, fn: () => Promise<void> | void) => Promise<void>, leftMs: number): Promise<void> {
  await step('the alert checks', () => set?.alerts.stop());
  await step('the sink deliveries', () => drainSinks([...fileSinks], Math.min(3_000, Math.max(500, leftMs / 3))));
  await step('the sinks', () => set?.sinks.stop());
}
