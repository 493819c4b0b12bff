/** ml_indicator_weights and ml_model_performance: what training reads and writes about indicators. */
import { INDICATOR_COLUMNS, type IndicatorWeight } from '../../domain/indicators.ts';
import { StoreError } from '../../errors.ts';
import type { PerformanceRecord } from '../types.ts';
import { toMs, type Ctx, type RpcCtx } from './common.ts';
import { metricColumns } from './models.ts';

export interface WeightRow {
  indicator_name: string;
  current_weight: number;
  default_weight: number;
  weight_category: string;
  min_weight: number;
  max_weight: number;
  importance_rank: number | null;
  update_count: number;
  last_updated: Date | string;
}

/** In the order of src/domain/indicators.ts; any other indicator after them, by name. */
export async function getWeights({ db, n }: Ctx): Promise<IndicatorWeight[]> {
  const { rows } = await db.query<WeightRow>(
    `SELECT ${WEIGHT_COLUMNS} FROM ${n.weights} ORDER BY array_position($1::text[], indicator_name) NULLS LAST, indicator_name`,
    [INDICATOR_COLUMNS],
  );
  return rows.map(toWeight);
}

export const WEIGHT_COLUMNS = 'indicator_name,current_weight,default_weight,weight_category,min_weight,max_weight,importance_rank,update_count,last_updated';

export function toWeight(r: WeightRow): IndicatorWeight {
  return {
    name: r.indicator_name,
    currentWeight: r.current_weight,
    defaultWeight: r.default_weight,
    category: r.weight_category,
    minWeight: r.min_weight,
    maxWeight: r.max_weight,
    importanceRank: r.importance_rank,
    updateCount: r.update_count,
    lastUpdated: toMs(r.last_updated),
  };
}

/** getWeights' order for rows read without it (REST): column order, then others by name. */
export function sortWeights(weights: IndicatorWeight[]): IndicatorWeight[] {
  const rank = (name: string) => {
    const i = (INDICATOR_COLUMNS as readonly string[]).indexOf(name);
    return i < 0 ? INDICATOR_COLUMNS.length : i;
  };
  return [...weights].sort((a, b) => rank(a.name) - rank(b.name) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Sets current weights, each clamped into its [min_weight, max_weight]. All or nothing: an unknown
 * indicator or a non-finite weight changes no row. A trigger keeps last_updated and update_count.
 * The caller reads the weights back (getWeights).
 */
export async function setWeights({ rpc }: RpcCtx, weights: Record<string, number>): Promise<void> {
  const entries = Object.entries(weights);
  const bad = entries.find(([, w]) => !Number.isFinite(w));
  if (bad) throw new StoreError('STORE_INVALID', `weight for ${bad[0]} must be a finite number, got ${bad[1]}`, { context: { indicator: bad[0] } });
  if (entries.length > 0) await rpc.value<number>('sb_set_weights', { p_weights: weights });
}

/** One report per (model_version, evaluation); writing it again replaces it. */
export async function insertPerformance({ rpc }: RpcCtx, row: PerformanceRecord): Promise<void> {
  const { test_trades: trades, ...metrics } = metricColumns(row.metrics);
  await rpc.value<void>('sb_insert_performance', {
    p_row: {
      model_version: row.modelVersion,
      evaluation: row.evaluation ?? 'test',
      training_samples_count: row.trainingSamplesCount,
      validation_samples_count: row.validationSamplesCount,
      ...metrics,
      trades_count: trades,
      previous_weights: row.previousWeights ?? null,
      new_weights: row.newWeights ?? null,
      weight_changes: row.weightChanges ?? null,
      feature_importance: row.featureImportance ?? null,
      training_duration_minutes: row.trainingDurationMinutes ?? null,
      convergence_epoch: row.convergenceEpoch ?? null,
      best_epoch: row.bestEpoch ?? null,
    },
  });
}
