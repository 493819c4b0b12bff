/**
 * Ingest metrics, registered on the process registry (src/metrics.ts). Label values come from
 * fixed sets (reasons, source kinds), never from input data, so a flood of garbage cannot grow them.
 */
import { Counter, Gauge } from 'prom-client';
import { registry } from '../metrics.ts';

export const candlesRejected = new Counter({
  name: 'candles_rejected_total',
  help: 'Candles (or frames that should have carried one) refused at the edge, by reason',
  labelNames: ['reason'] as const,
  registers: [registry],
});

export const candlesDelivered = new Counter({
  name: 'candles_delivered_total',
  help: 'Validated closed candles handed to the pipeline, by source kind',
  labelNames: ['source'] as const,
  registers: [registry],
});

export const candleGaps = new Counter({
  name: 'candle_gaps_total',
  help: 'Missing steps detected between consecutive candles of one series, by source kind and what became of them',
  labelNames: ['source', 'resolution'] as const,
  registers: [registry],
});

export const feedReconnects = new Counter({
  name: 'feed_reconnects_total',
  help: 'Live feed connection losses followed by a reconnect attempt, by cause',
  labelNames: ['cause'] as const,
  registers: [registry],
});

export const feedFramesDropped = new Counter({
  name: 'feed_frames_dropped_total',
  help: 'Live feed frames dropped because the inbound queue was full (the gap is backfilled later)',
  registers: [registry],
});

export const backfillCandles = new Counter({
  name: 'feed_backfill_candles_total',
  help: 'Closed candles recovered from the exchange REST API to fill gaps',
  registers: [registry],
});

export const backfillFailures = new Counter({
  name: 'feed_backfill_failures_total',
  help: 'REST backfill requests that failed (each retry counts)',
  registers: [registry],
});

export const feedConnected = new Gauge({
  name: 'feed_connected',
  help: '1 while the live feed connection is subscribed and streaming',
  registers: [registry],
});

