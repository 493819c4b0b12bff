/** Outcome tracker metrics, on the process registry (src/metrics.ts). Labels come from fixed sets. */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.ts';

export const trackerOpenSignals = new Gauge({
  name: 'tracker_open_signals',
  help: 'Signals the outcome tracker is walking forward (open trades and HOLD evaluations)',
  registers: [registry],
});

export const trackerResolved = new Counter({
  name: 'tracker_resolved_total',
  help: 'Signals resolved by the outcome tracker, by outcome',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const trackerRejected = new Counter({
  name: 'tracker_rejected_total',
  help: 'Signals the outcome tracker did not track, by reason (cap: per-series limit reached; invalid_barriers: stored levels unusable; restore_failed: stored candles could not be read); they stay open in the store until the next restart',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const trackerCandlesDropped = new Counter({
  name: 'tracker_candles_dropped_total',
  help: 'Live candles dropped because the buffer held while restoring was full',
  registers: [registry],
});
