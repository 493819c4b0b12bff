/**
 * The live pipeline's metrics, on the process registry (src/metrics.ts). Label values come from
 * fixed sets (directions, error codes of our own typed errors), never from input data.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { registry } from '../metrics.ts';

export const ticksTotal = new Counter({
  name: 'ticks_total',
  help: 'Ticks (candles of several symbols closing at the same instant) run through the signal engine',
  registers: [registry],
});

export const tickLatency = new Histogram({
  name: 'tick_latency_seconds',
  help: 'From a tick arriving from the feed to its signals published to websocket subscribers',
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const signalsTotal = new Counter({
  name: 'signals_total',
  help: 'Signals published by the live pipeline, by direction',
  labelNames: ['direction'] as const,
  registers: [registry],
});

export const candlesIngested = new Counter({
  name: 'candles_ingested_total',
  help: 'Closed candles the live pipeline took from the feed (after the shard filter)',
  registers: [registry],
});

export const tickErrors = new Counter({
  name: 'tick_errors_total',
  help: 'Ticks that failed with a retryable error (their candles were kept, their signals skipped), by error code',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const tickQueueDepth = new Gauge({
  name: 'tick_queue_depth',
  help: 'Ticks waiting between the feed and the signal engine (bounded; the feed waits when full)',
  registers: [registry],
});

/** 1 for the model version signals come from ('rules' before any model); one series at a time. */
export const servingModel = new Gauge({
  name: 'model_serving_info',
  help: 'The model version the signal engine serves (label version; "rules" before any model)',
  labelNames: ['version'],
  registers: [registry],
});
servingModel.set({ version: 'rules' }, 1);

export function setServingModel(version: string): void {
  servingModel.reset();
  servingModel.set({ version }, 1);
}
