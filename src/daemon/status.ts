/**
 * GET /v1/status for the dashboard: what the running daemon knows about itself, read from the
 * components it already has (feed, outbox, model slot, leadership), nothing stored.
 */
import type { CandleSource, SeriesInfo } from '../ingest/source.ts';
import { describeError } from '../errors.ts';
import type { DaemonStatus } from '../serve/dashboard-routes.ts';
import { RULES_MODEL_VERSION } from '../signals/policy.ts';
import type { Outbox } from '../store/outbox/index.ts';
import { tickLatency } from './metrics.ts';
import type { SinkStatus } from '../signals/sinks/sink.ts';
import type { ModelSlot } from './models.ts';
import { bucketsOf, RecentLatencyWindow } from './recent-latency.ts';

export interface StatusSources {
  phase(): string;
  source: Pick<CandleSource, 'status' | 'error'>;
  series: readonly SeriesInfo[];
  outbox: Pick<Outbox, 'health'>;
  slot: Pick<ModelSlot, 'version'>;
  /** 'leader' | 'follower', or null before the election started. */
  leadership?: () => string | null;
  sinks?: () => SinkStatus[];
}

export function statusReader(s: StatusSources): () => Promise<DaemonStatus> {
  const latency = new RecentLatencyWindow(async () => bucketsOf(await tickLatency.get()));
  return async () => {
    const h = s.outbox.health();
    return {
      phase: s.phase(),
      feed: { state: s.source.status, error: s.source.error ? describeError(s.source.error) : null },
      series: s.series.map((x) => ({ symbol: x.symbol, timeframe: x.timeframe })),
      outbox: { depth: h.depth, state: h.state, degraded: h.degraded, oldest_age_s: h.oldestAgeSeconds, last_error: h.lastError ? `${h.lastError.code}: ${h.lastError.message}` : null },
      tick_latency: await latency.current(),
      model_version: s.slot.version ?? RULES_MODEL_VERSION,
      leadership: s.leadership?.() ?? null,
      sinks: (s.sinks?.() ?? []).map((x) => ({ name: x.name, kind: x.kind, state: x.state, queue_depth: x.queueDepth, delivered: x.delivered, failed: x.failed, dead_letters: x.deadLetters, dropped: x.dropped, last_error: x.lastError ?? null })),
    };
  };
}
