/** ml_generation_logs and the dashboard row. */
import type { GenerationLogRecord } from '../types.ts';
import { jsonOrNull, tsFromMs, type Ctx } from './common.ts';

/** Idempotent on batch_id. */
export async function insertGenerationLog({ db, n }: Ctx, row: GenerationLogRecord): Promise<void> {
  await db.query(
    `INSERT INTO ${n.logs} (batch_id, generation_strategy, symbols_count, signals_per_symbol, total_signals_generated,
       avg_confidence, confidence_distribution, signal_distribution, processing_time_ms, success_rate, error_count,
       status, error_details, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13::jsonb, ${tsFromMs('$14')})
     ON CONFLICT (batch_id) DO NOTHING`,
    [
      row.batchId,
      row.generationStrategy,
      row.symbolsCount,
      row.signalsPerSymbol ?? 1,
      row.totalSignalsGenerated,
      row.avgConfidence ?? null,
      jsonOrNull(row.confidenceDistribution),
      jsonOrNull(row.signalDistribution),
      row.processingTimeMs ?? null,
      row.successRate ?? null,
      row.errorCount ?? 0,
      row.status,
      jsonOrNull(row.errorDetails),
      row.completedAt ?? null,
    ],
  );
}

/** The row of get_ml_dashboard_data(), timestamps as ISO 8601 strings. */
export async function dashboard({ db, n }: Ctx): Promise<Record<string, unknown>> {
  const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM ${n.fn('get_ml_dashboard_data')}()`);
  const row = rows[0] ?? {};
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]));
}
