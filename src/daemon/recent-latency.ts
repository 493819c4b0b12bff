/**
 * Recent tick latency for GET /v1/status, read from the tick_latency_seconds histogram the tick loop
 * already observes, so the hot path gains no work. Each read keeps a snapshot of the cumulative
 * bucket counts; the answer is the difference to the newest snapshot at least `windowMs` old (or
 * the oldest one, early on), with quantiles estimated inside a bucket by linear interpolation, as
 * Prometheus' histogram_quantile does. The figures are as coarse as the buckets.
 */
import type { Histogram } from 'prom-client';

export interface Buckets {
  /** Upper bounds in seconds, ascending; the last may be Infinity. */
  bounds: number[];
  /** Cumulative counts per bound. */
  counts: number[];
}

/** The q-quantile in seconds of a cumulative histogram; null when it holds no observation. */
export function bucketQuantile(b: Buckets, q: number): number | null {
  const total = b.counts.at(-1) ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  for (let i = 0; i < b.bounds.length; i++) {
    if (b.counts[i]! < rank) continue;
    const upper = b.bounds[i]!;
    const lower = i === 0 ? 0 : b.bounds[i - 1]!;
    // In the +Inf bucket the best answer is the highest finite bound.
    if (!Number.isFinite(upper)) return lower;
    const below = i === 0 ? 0 : b.counts[i - 1]!;
    const inBucket = b.counts[i]! - below;
    return inBucket === 0 ? upper : lower + ((upper - lower) * (rank - below)) / inBucket;
  }
  return b.bounds.at(-2) ?? null;
}

export function bucketsOf(metric: Awaited<ReturnType<Histogram['get']>>): Buckets {
  const rows = metric.values.filter((v) => v.metricName?.endsWith('_bucket'));
  const bounds = rows.map((r) => (r.labels.le === '+Inf' ? Infinity : Number(r.labels.le)));
  return { bounds, counts: rows.map((r) => r.value) };
}

export interface RecentLatency {
  p50_ms: number | null;
  p99_ms: number | null;
  ticks: number;
  /** null: since the daemon started. */
  window_s: number | null;
}

export class RecentLatencyWindow {
  private readonly snapshots: { at: number; counts: number[] }[] = [];

  constructor(
    private readonly read: () => Promise<Buckets>,
    private readonly windowMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  async current(): Promise<RecentLatency> {
    const b = await this.read();
    const at = this.now();
    // Keep the newest snapshot older than the window and everything after it (bounded by the read rate).
    while (this.snapshots.length > 1 && at - this.snapshots[1]!.at >= this.windowMs) this.snapshots.shift();
    const base = this.snapshots[0];
    this.snapshots.push({ at, counts: b.counts });
    if (this.snapshots.length > 1_000) this.snapshots.splice(1, this.snapshots.length - 1_000);
    const counts = base ? b.counts.map((c, i) => c - (base.counts[i] ?? 0)) : b.counts;
    const recent = { bounds: b.bounds, counts };
    const ms = (s: number | null) => (s === null ? null : Math.round(s * 1e4) / 10);
    return {
      p50_ms: ms(bucketQuantile(recent, 0.5)),
      p99_ms: ms(bucketQuantile(recent, 0.99)),
      ticks: counts.at(-1) ?? 0,
      window_s: base ? Math.round((at - base.at) / 1000) : null,
    };
  }
}
