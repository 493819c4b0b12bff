/**
 * The table of test-window figures that `train` and `backtest` print: one row per figure of
 * ModelMetrics, one column per evaluated predictor (model, always-HOLD, rules, ...).
 */
import type { ModelMetrics } from '../store/types.ts';

const ROWS: Array<[keyof ModelMetrics, string]> = [
  ['accuracy', 'accuracy'],
  ['precisionBuy', 'precision BUY'],
  ['recallBuy', 'recall BUY'],
  ['precisionSell', 'precision SELL'],
  ['recallSell', 'recall SELL'],
  ['f1Macro', 'macro F1'],
  ['winRate', 'win rate'],
  ['avgProfitPerTrade', 'avg P/L per trade %'],
  ['profitFactor', 'profit factor'],
  ['maxDrawdown', 'max drawdown %'],
  ['sharpe', 'Sharpe'],
  ['sortino', 'Sortino'],
  ['calmar', 'Calmar'],
  ['trades', 'trades'],
];

function cell(key: keyof ModelMetrics, m: ModelMetrics | null): string {
  if (!m) return 'n/a';
  const v = m[key];
  if (key === 'trades') return String(v);
  if (!Number.isFinite(v)) return v > 0 ? 'inf' : v < 0 ? '-inf' : 'NaN';
  return v.toFixed(4);
}

/** Lines of the table, headed by `title` over the row labels. */
export function renderMetricsTable(title: string, columns: ReadonlyArray<readonly [string, ModelMetrics | null]>): string[] {
  const labelWidth = Math.max(title.length, ...ROWS.map(([, l]) => l.length));
  const widths = columns.map(([name, m]) => Math.max(name.length, ...ROWS.map(([k]) => cell(k, m).length)));
  const line = (label: string, cells: string[]) => `${label.padEnd(labelWidth)}  ${cells.map((c, i) => c.padStart(widths[i]!)).join('  ')}`;
  return [
    line(title, columns.map(([name]) => name)),
    line('-'.repeat(labelWidth), widths.map((w) => '-'.repeat(w))),
    ...ROWS.map(([key, label]) => line(label, columns.map(([, m]) => cell(key, m)))),
  ];
}
