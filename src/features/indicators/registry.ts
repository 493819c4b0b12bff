/**
 * THE indicator registry: one entry per indicator column (domain/indicators.ts order) with what the
 * rest of the program needs to know about it: how to build a stream of its values, where its
 * reference values come from (TA-Lib), its weight category (ml_indicator_weights.weight_category,
 * features/weights.ts) and how the model sees it (features/transforms.ts). The shared contract test
 * iterates over this list; IndicatorSet builds the same indicators with the same parameters (a test
 * checks they agree); the rule consensus's votes are per column in features/consensus.ts.
 */
import { INDICATOR_COLUMNS, type IndicatorColumn } from '../../domain/indicators.ts';
import { Adx } from './adx.ts';
import { Atr } from './atr.ts';
import { Bollinger } from './bollinger.ts';
import { Ema } from './ema.ts';
import type { Bar, StreamingIndicator } from './indicator.ts';
import { Macd } from './macd.ts';
import { Mfi } from './mfi.ts';
import { PriceChange } from './price-change.ts';
import { Rsi } from './rsi.ts';
import { Stochastic } from './stochastic.ts';
import { Volatility } from './volatility.ts';
import { VolumeMa } from './volume-ma.ts';
import { Vwap } from './vwap.ts';

/** A single-number view of one indicator output. */
export interface ColumnStream {
  readonly name: string;
  readonly lookback: number;
  readonly isStable: boolean;
  update(bar: Bar): number | null;
  reset(): void;
}

export type IndicatorCategory = 'trend' | 'momentum' | 'volatility' | 'volume';

/**
 * How the model sees a raw value (features/transforms.ts): `distance` close / level − 1, `per_close`
 * value / close, `oscillator` value / 100, `volume_ratio` volume / average, `as_is` unchanged.
 */
export type TransformKind = 'distance' | 'per_close' | 'oscillator' | 'volume_ratio' | 'as_is';

export interface ColumnDefinition {
  column: IndicatorColumn;
  /** The TA-Lib call that defines the column, or null when TA-Lib has no such function. */
  talib: string | null;
  /** As seeded in sql/ (weight_category). */
  category: IndicatorCategory;
  transform: TransformKind;
  create(): ColumnStream;
}

function stream<V>(make: () => StreamingIndicator<V>, pick: (v: V) => number): () => ColumnStream {
  return () => {
    const ind = make();
    return {
      name: ind.name,
      lookback: ind.lookback,
      get isStable() {
        return ind.isStable;
      },
      update(bar: Bar) {
        const v = ind.update(bar);
        return v === null ? null : pick(v);
      },
      reset: () => ind.reset(),
    };
  };
}

const same = (v: number) => v;

export const COLUMN_DEFINITIONS: readonly ColumnDefinition[] = [
  { column: 'adx_value', talib: 'ADX(14)', category: 'trend', transform: 'oscillator', create: stream(() => new Adx(14), same) },
  { column: 'rsi_value', talib: 'RSI(14)', category: 'momentum', transform: 'oscillator', create: stream(() => new Rsi(14), same) },
  { column: 'ema_12', talib: 'EMA(12)', category: 'trend', transform: 'distance', create: stream(() => new Ema(12), same) },
  { column: 'ema_21', talib: 'EMA(21)', category: 'trend', transform: 'distance', create: stream(() => new Ema(21), same) },
  { column: 'ema_50', talib: 'EMA(50)', category: 'trend', transform: 'distance', create: stream(() => new Ema(50), same) },
  { column: 'vwap', talib: null, category: 'volume', transform: 'distance', create: stream(() => new Vwap(), same) },
  { column: 'atr_value', talib: 'ATR(14)', category: 'volatility', transform: 'per_close', create: stream(() => new Atr(14), same) },
  { column: 'bollinger_upper', talib: 'BBANDS(20,2,2,SMA).upper', category: 'volatility', transform: 'distance', create: stream(() => new Bollinger(20, 2), (v) => v.upper) },
  { column: 'bollinger_lower', talib: 'BBANDS(20,2,2,SMA).lower', category: 'volatility', transform: 'distance', create: stream(() => new Bollinger(20, 2), (v) => v.lower) },
  { column: 'stoch_k', talib: 'STOCH(14,3,SMA,3,SMA).slowk', category: 'momentum', transform: 'oscillator', create: stream(() => new Stochastic(14, 3, 3), (v) => v.k) },
  { column: 'stoch_d', talib: 'STOCH(14,3,SMA,3,SMA).slowd', category: 'momentum', transform: 'oscillator', create: stream(() => new Stochastic(14, 3, 3), (v) => v.d) },
  { column: 'macd_line', talib: 'MACD(12,26,9).macd', category: 'trend', transform: 'per_close', create: stream(() => new Macd(12, 26, 9), (v) => v.macd) },
  { column: 'macd_signal', talib: 'MACD(12,26,9).macdsignal', category: 'trend', transform: 'per_close', create: stream(() => new Macd(12, 26, 9), (v) => v.signal) },
  { column: 'volume_ma', talib: 'SMA(volume,20)', category: 'volume', transform: 'volume_ratio', create: stream(() => new VolumeMa(20), same) },
  { column: 'price_change_pct', talib: 'ROC(1)', category: 'momentum', transform: 'as_is', create: stream(() => new PriceChange(), same) },
  { column: 'volatility', talib: null, category: 'volatility', transform: 'as_is', create: stream(() => new Volatility(20), same) },
  { column: 'mfi_value', talib: 'MFI(14)', category: 'volume', transform: 'oscillator', create: stream(() => new Mfi(14), same) },
];

if (COLUMN_DEFINITIONS.map((d) => d.column).join() !== INDICATOR_COLUMNS.join()) {
  throw new Error('indicator registry out of step with domain/indicators.ts');
}

/** The registry entry of `column`. */
export function columnDefinition(column: IndicatorColumn): ColumnDefinition {
  return COLUMN_DEFINITIONS[INDICATOR_COLUMNS.indexOf(column)]!;
}
