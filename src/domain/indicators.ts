/**
 * The 17 indicator columns, in the order the database, the model and every export use.
 * Fixed by DESIGN.md "Indicators"; adding or reordering one is a breaking change for stored models.
 */
export const INDICATOR_COLUMNS = [
  'adx_value',
  'rsi_value',
  'ema_12',
  'ema_21',
  'ema_50',
  'vwap',
  'atr_value',
  'bollinger_upper',
  'bollinger_lower',
  'stoch_k',
  'stoch_d',
  'macd_line',
  'macd_signal',
  'volume_ma',
  'price_change_pct',
  'volatility',
  'mfi_value',
] as const;

export type IndicatorColumn = (typeof INDICATOR_COLUMNS)[number];

/** Raw indicator values for one closed candle; `null` while an indicator is warming up. */
export type IndicatorValues = Record<IndicatorColumn, number | null>;

export function isIndicatorColumn(name: string): name is IndicatorColumn {
  return (INDICATOR_COLUMNS as readonly string[]).includes(name);
}

/** One indicator's weight in the rule consensus, as the store keeps it (ml_indicator_weights). */
export interface IndicatorWeight {
  name: string;
  currentWeight: number;
  defaultWeight: number;
  category: string;
  minWeight: number;
  maxWeight: number;
  importanceRank: number | null;
  updateCount: number;
  lastUpdated: number;
}
