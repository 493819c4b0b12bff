/**
 * Indicator weights (ml_indicator_weights): turning store rows into the per-column record the
 * consensus and the feature pipeline use, and moving weights toward a model's permutation
 * importance by a bounded step after training (DESIGN.md "Indicators").
 */
import {
  INDICATOR_COLUMNS,
  isIndicatorColumn,
  type IndicatorColumn,
  type IndicatorWeight,
} from '../domain/indicators.ts';
import { COLUMN_DEFINITIONS, type IndicatorCategory } from './indicators/registry.ts';

export type IndicatorWeights = Record<IndicatorColumn, number>;

export const DEFAULT_WEIGHT = 1;
export const DEFAULT_MIN_WEIGHT = 0.1;
export const DEFAULT_MAX_WEIGHT = 2;
/** Largest change of one weight after one training. */
export const DEFAULT_MAX_STEP = 0.1;

/** Categories as seeded in sql/ (weight_category), from the indicator registry. */
export const INDICATOR_CATEGORY = Object.fromEntries(COLUMN_DEFINITIONS.map((d) => [d.column, d.category])) as Record<IndicatorColumn, IndicatorCategory>;

export function uniformWeights(value = DEFAULT_WEIGHT): IndicatorWeights {
  return Object.fromEntries(INDICATOR_COLUMNS.map((c) => [c, value])) as IndicatorWeights;
}

const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

/**
 * The current weight of every column from store rows. Rows for unknown names are ignored; a column
 * without a row (or with a non-finite weight) gets DEFAULT_WEIGHT; each weight is clamped to its
 * row's [min_weight, max_weight].
 */
export function weightsFromRecords(records: readonly IndicatorWeight[]): IndicatorWeights {
  const out = uniformWeights();
  for (const r of records) {
    if (!isIndicatorColumn(r.name) || !Number.isFinite(r.currentWeight)) continue;
    out[r.name] = clamp(r.currentWeight, r.minWeight ?? DEFAULT_MIN_WEIGHT, r.maxWeight ?? DEFAULT_MAX_WEIGHT);
  }
  return out;
}

export interface WeightUpdate {
  previous: Partial<IndicatorWeights>;
  next: Partial<IndicatorWeights>;
  changes: Partial<IndicatorWeights>;
}

/**
 * Move weights toward a model's permutation importance. Importances (negative ones count as 0) are
 * normalised to mean 1 over the columns the model used, so the target is "relative usefulness";
 * each weight moves toward its target by at most `maxStep` and stays inside its [min, max].
 * Columns the model did not use keep their weight and are not reported.
 */
export function stepWeightsTowardImportance(
  records: readonly IndicatorWeight[],
  importance: Partial<Record<string, number>>,
  maxStep = DEFAULT_MAX_STEP,
): WeightUpdate {
  const current = weightsFromRecords(records);
  const bounds = new Map(records.map((r) => [r.name, r]));
  const used = INDICATOR_COLUMNS.filter((c) => Number.isFinite(importance[c]));
  const update: WeightUpdate = { previous: {}, next: {}, changes: {} };
  if (used.length === 0) return update;
  const imp = used.map((c) => Math.max(0, importance[c]!));
  const meanImp = imp.reduce((a, b) => a + b, 0) / used.length;
  used.forEach((c, k) => {
    const lo = bounds.get(c)?.minWeight ?? DEFAULT_MIN_WEIGHT;
    const hi = bounds.get(c)?.maxWeight ?? DEFAULT_MAX_WEIGHT;
    const target = clamp(meanImp > 0 ? imp[k]! / meanImp : DEFAULT_WEIGHT, lo, hi);
    const prev = current[c];
    const next = clamp(prev + clamp(target - prev, -maxStep, maxStep), lo, hi);
    update.previous[c] = prev;
    update.next[c] = next;
    update.changes[c] = next - prev;
  });
  return update;
}
