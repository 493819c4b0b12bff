/**
 * Sink metrics on the process registry (DESIGN.md "Sinks"); every sink counts into these.
 * `reason` is one of FAILURE_REASONS; the queue depth is read from the running sinks when /metrics
 * is scraped.
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../../metrics.ts';

/** Why a delivery attempt failed, or (overflow, journal, publish_threw) why an event could not be queued. */
export const FAILURE_REASONS = ['network', 'timeout', 'rate_limited', 'server_error', 'client_error', 'rejected', 'overflow', 'journal', 'publish_threw'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];

/** Running sinks by name, for the collected depth gauge. */
export const liveSinkQueues = new Map<string, () => number>();

export const sinkDelivered = new Counter({
  name: 'sink_delivered_total',
  help: 'Events a sink delivered (its receiver accepted them)',
  labelNames: ['sink'] as const,
  registers: [registry],
});

export const sinkFailed = new Counter({
  name: 'sink_failed_total',
  help: 'Failed delivery attempts (network, timeout, rate_limited, server_error: retried; client_error, rejected: dead-lettered) and events not queued (overflow: oldest waiting event dropped at the queue bound; journal: the disk refused it; publish_threw: its publish() threw, which the fan-out caught)',
  labelNames: ['sink', 'reason'] as const,
  registers: [registry],
});

export const sinkDeadLetters = new Counter({
  name: 'sink_dead_letters_total',
  help: 'Events a sink gave up on (refused by the receiver, or retries exhausted), written to its dead-letters.ndjson',
  labelNames: ['sink'] as const,
  registers: [registry],
});

export const sinkQueueDepth = new Gauge({
  name: 'sink_queue_depth',
  help: 'Events waiting for delivery, per sink',
  labelNames: ['sink'] as const,
  registers: [registry],
  collect() {
    this.reset(); // a stopped sink's label goes with it
    for (const [sink, depth] of liveSinkQueues) this.set({ sink }, depth());
  },
});
