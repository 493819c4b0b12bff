/**
 * Model figures as JSON for people and tools: snake_case metric names (as the ml_models columns and
 * the rest of the JSON contract), and non-finite numbers kept as strings ("Infinity": a profit factor
 * with no losing trade), since JSON has no Infinity and null would lose the meaning.
 */
import type { ModelMetrics } from '../store/types.ts';

export const METRIC_JSON_NAMES: Record<keyof ModelMetrics, string> = {
  accuracy: 'accuracy',
  precisionBuy: 'precision_buy',
  precisionSell: 'precision_sell',
  recallBuy: 'recall_buy',
  recallSell: 'recall_sell',
  f1Macro: 'f1_macro',
  winRate: 'win_rate',
  avgProfitPerTrade: 'avg_profit_per_trade',
  profitFactor: 'profit_factor',
  maxDrawdown: 'max_drawdown',
  sharpe: 'sharpe',
  sortino: 'sortino',
  calmar: 'calmar',
  trades: 'trades',
};

/** A number as JSON can hold it: finite numbers as they are, others as "Infinity" / "-Infinity" / "NaN". */
export const jsonNumber = (x: number): number | string => (Number.isFinite(x) ? x : String(x));

export function metricsJson(m: ModelMetrics | null): Record<string, number | string> | null {
  if (!m) return null;
  return Object.fromEntries(Object.entries(METRIC_JSON_NAMES).map(([k, name]) => [name, jsonNumber(m[k as keyof ModelMetrics])]));
}

/** A deep copy with every non-finite number replaced by its string (for jsonb metadata and --json output). */
export function jsonSafe<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))) as T;
}
