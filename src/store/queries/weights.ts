/** ml_indicator_weights and ml_model_performance: what training reads and writes about indicators. */
import { INDICATOR_COLUMNS } from '../../features/columns.ts';
import { StoreError } from '../../errors.ts';
import type { IndicatorWeight, ModelMetrics, PerformanceRecord } from '../types.ts';
import { jsonOrNull, toMs, type Ctx } from './common.ts';
import { METRIC_COLUMNS } from './models.ts';

interface WeightRow {
  indicator_name: string;
  current_weight: number;
  default_weight: number;
  weight_category: string;
  min_weight: number;
  max_weight: number;
  importance_rank: number | null;
  update_count: number;
  last_updated: Date;
}

/** In the order of src/features/columns.ts; any other indicator after them, by name. */
export async function getWeights({ db, n }: Ctx): Promise<IndicatorWeight[]> {
  const { rows } = await db.query<WeightRow>(
    `SELECT indicator_name, current_weight, default_weight, weight_category, min_weight, max_weight,
            importance_rank, update_count, last_updated
     FROM ${n.weights} ORDER BY array_position($1::text[], indicator_name) NULLS LAST, indicator_name`,
    [INDICATOR_COLUMNS],
  );
  return rows.map((r) => ({
    name: r.indicator_name,
    currentWeight: r.current_weight,
    defaultWeight: r.default_weight,
    category: r.weight_category,
    minWeight: r.min_weight,
    maxWeight: r.max_weight,
    importanceRank: r.importance_rank,
    updateCount: r.update_count,
    lastUpdated: toMs(r.last_updated),
  }));
}

/**
 * Sets current weights, each clamped into its [min_weight, max_weight]. All or nothing: an unknown
 * indicator or a non-finite weight changes no row. A trigger keeps last_updated and update_count.
 */
export async function setWeights(ctx: Ctx, weights: Record<string, number>): Promise<IndicatorWeight[]> {
  const entries = Object.entries(weights);
  const bad = entries.find(([, w]) => !Number.isFinite(w));
  if (bad) throw new StoreError('STORE_INVALID', `weight for ${bad[0]} must be a finite number, got ${bad[1]}`, { context: { indicator: bad[0] } });
  if (entries.length > 0) {
    await ctx.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ indicator_name: string }>(
        `UPDATE ${ctx.n.weights} w SET current_weight = least(greatest(u.w, w.min_weight), w.max_weight)
         FROM unnest($1::text[], $2::float8[]) AS u(name, w)
         WHERE w.indicator_name = u.name RETURNING w.indicator_name`,
        [entries.map(([k]) => k), entries.map(([, w]) => w)],
      );
      const known = new Set(rows.map((r) => r.indicator_name));
      const unknown = entries.map(([k]) => k).filter((k) => !known.has(k));
      if (unknown.length > 0) {
        throw new StoreError('STORE_INVALID', `unknown indicator(s) ${unknown.join(', ')}; known: ${INDICATOR_COLUMNS.join(', ')}`, {
          context: { unknown },
        });
      }
    });
  }
  return getWeights(ctx);
}

/** One report per (model_version, evaluation); writing it again replaces it. */
export async function insertPerformance({ db, n }: Ctx, row: PerformanceRecord): Promise<void> {
  const metricCols = Object.entries(METRIC_COLUMNS).map(([key, col]) => ({
    col: col === 'test_trades' ? 'trades_count' : col,
    value: row.metrics[key as keyof ModelMetrics],
  }));
  const cols = [
    'model_version',
    'evaluation',
    'training_samples_count',
    'validation_samples_count',
    ...metricCols.map((m) => m.col),
    'previous_weights',
    'new_weights',
    'weight_changes',
    'feature_importance',
    'training_duration_minutes',
    'convergence_epoch',
    'best_epoch',
  ];
  const values = [
    row.modelVersion,
    row.evaluation ?? 'test',
    row.trainingSamplesCount,
    row.validationSamplesCount,
    ...metricCols.map((m) => m.value),
    jsonOrNull(row.previousWeights),
    jsonOrNull(row.newWeights),
    jsonOrNull(row.weightChanges),
    jsonOrNull(row.featureImportance),
    row.trainingDurationMinutes ?? null,
    row.convergenceEpoch ?? null,
    row.bestEpoch ?? null,
  ];
  const jsonCols = new Set(['previous_weights', 'new_weights', 'weight_changes', 'feature_importance']);
  await db.query(
    `INSERT INTO ${n.performance} (${cols.join(', ')})
     VALUES (${cols.map((c, i) => `$${i + 1}${jsonCols.has(c) ? '::jsonb' : ''}`).join(', ')})
     ON CONFLICT (model_version, evaluation) DO UPDATE SET
       ${cols.slice(2).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}, training_date = now()`,
    values,
  );
}
