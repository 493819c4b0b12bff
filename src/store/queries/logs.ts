/** ml_generation_logs and the dashboard row. */
import type { GenerationLogRecord } from '../types.ts';
import { jsonNumber } from '../rpc.ts';
import type { RpcCtx } from './common.ts';

/** Idempotent on batch_id. */
export async function insertGenerationLog({ rpc }: RpcCtx, row: GenerationLogRecord): Promise<void> {
  await rpc.value<void>('sb_insert_generation_log', {
    p_row: {
      batch_id: row.batchId,
      generation_strategy: row.generationStrategy,
      symbols_count: row.symbolsCount,
      signals_per_symbol: row.signalsPerSymbol ?? 1,
      total_signals_generated: row.totalSignalsGenerated,
      avg_confidence: jsonNumber(row.avgConfidence),
      confidence_distribution: row.confidenceDistribution ?? null,
      signal_distribution: row.signalDistribution ?? null,
      processing_time_ms: jsonNumber(row.processingTimeMs),
      success_rate: jsonNumber(row.successRate),
      error_count: row.errorCount ?? 0,
      status: row.status,
      error_details: row.errorDetails ?? null,
      completed_ms: row.completedAt ?? null,
    },
  });
}

/** The row of get_ml_dashboard_data(), timestamps as ISO 8601 strings. */
export async function dashboard({ rpc }: RpcCtx): Promise<Record<string, unknown>> {
  const rows = await rpc.rows<Record<string, unknown>>('get_ml_dashboard_data');
  const row = rows[0] ?? {};
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : isoTimestamp(v)]));
}

/** PostgREST's timestamptz text ("2026-01-01T10:00:00.123+00:00") as toISOString() writes it. */
function isoTimestamp(v: unknown): unknown {
  return typeof v === 'string' && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$/.test(v) ? new Date(v).toISOString() : v;
}
