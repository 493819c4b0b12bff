/**
 * The retention step (sql/20261204001000_retention.sql sb_retention_step): monthly partitions made
 * and dropped, the daily rollup refreshed, and at most `batch` rows per table deleted per call.
 */
import { z } from 'zod';
import { StoreError } from '../../errors.ts';
import type { RpcCtx } from './common.ts';

export interface RetentionQuery {
  /** Predictions and training samples with a candle before this (ms, data time) go; absent keeps them. */
  beforeMs?: number;
  /** Drift records and generation logs older than now() minus this go; absent keeps them. */
  keepMs?: number;
  /** The most rows deleted per table in this step. */
  batch: number;
  /** The newest candle's time: the partitions for its month and the next are made ready. */
  newestMs?: number;
}

const resultSchema = z.object({
  partitions_made: z.number(),
  partitions_dropped: z.number(),
  predictions: z.number(),
  samples: z.number(),
  drift: z.number(),
  logs: z.number(),
  more: z.boolean(),
});

export interface RetentionResult {
  partitionsMade: number;
  partitionsDropped: number;
  predictions: number;
  samples: number;
  drift: number;
  logs: number;
  /** A table had `batch` rows to delete: call again. */
  more: boolean;
}

/** Rewrites the 'live_7d' and 'live_30d' rows of ml_model_performance; returns the rows written. */
export function refreshLivePerformance({ rpc }: RpcCtx): Promise<number> {
  return rpc.value<number>('sb_refresh_live_performance');
}

export async function retentionStep({ rpc }: RpcCtx, q: RetentionQuery): Promise<RetentionResult> {
  const raw = await rpc.value<unknown>('sb_retention_step', {
    p_query: {
      batch: q.batch,
      ...(q.beforeMs !== undefined && Number.isFinite(q.beforeMs) ? { before_ms: q.beforeMs } : {}),
      ...(q.keepMs !== undefined ? { keep_ms: q.keepMs } : {}),
      ...(q.newestMs !== undefined && Number.isFinite(q.newestMs) ? { newest_ms: q.newestMs } : {}),
    },
  });
  const parsed = resultSchema.safeParse(typeof raw === 'string' ? JSON.parse(raw) : raw);
  if (!parsed.success) throw new StoreError('STORE_INVALID', `sb_retention_step returned an unexpected shape: ${parsed.error.message}`);
  const r = parsed.data;
  return { partitionsMade: r.partitions_made, partitionsDropped: r.partitions_dropped, predictions: r.predictions, samples: r.samples, drift: r.drift, logs: r.logs, more: r.more };
}
