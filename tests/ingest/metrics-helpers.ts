/** Reading ingest counters in tests (values are process-wide, so tests compare before/after). */
import { candlesRejected } from '../../src/ingest/metrics.ts';
import type { RejectReason } from '../../src/ingest/validate.ts';

export async function rejectedCounts(): Promise<Record<string, number>> {
  const m = await candlesRejected.get();
  const out: Record<string, number> = {};
  for (const v of m.values) out[String(v.labels.reason)] = v.value;
  return out;
}

/** Rejections by reason counted since `before`. */
export async function rejectedSince(before: Record<string, number>): Promise<Partial<Record<RejectReason, number>>> {
  const now = await rejectedCounts();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}
