/** Sink metrics (DESIGN.md "Sinks"), on the process registry; every sink counts into these. */
import { Counter } from 'prom-client';
import { registry } from '../../metrics.ts';

export const sinkFailed = new Counter({
  name: 'sink_failed_total',
  help: 'Events a sink failed to take or deliver, by sink and reason (publish_threw: its publish() threw, which the fan-out caught)',
  labelNames: ['sink', 'reason'] as const,
  registers: [registry],
});
