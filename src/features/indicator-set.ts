/**
 * All 17 indicators of one symbol (DESIGN.md "Indicators"), updated together on each closed candle.
 *
 * `push` is the zero-allocation path: it updates `raw` (domain/indicators.ts order, NaN while a column warms
 * up). `update` does the same and returns a fresh `IndicatorValues` snapshot (null while warming
 * up) that the caller may keep. A gap in a replay just means the next candle is the next one that
 * exists: indicators continue over the candles they are given.
 */
import { INDICATOR_COLUMNS, type IndicatorValues } from '../domain/indicators.ts';
import { CandleOrderError } from './errors.ts';
import { Adx } from './indicators/adx.ts';
import { Atr } from './indicators/atr.ts';
import { Bollinger } from './indicators/bollinger.ts';
import { Ema } from './indicators/ema.ts';
import type { Bar } from './indicators/indicator.ts';
import { Macd } from './indicators/macd.ts';
import { Mfi } from './indicators/mfi.ts';
import { PriceChange } from './indicators/price-change.ts';
import { Rsi } from './indicators/rsi.ts';
import { Stochastic } from './indicators/stochastic.ts';
import { Volatility } from './indicators/volatility.ts';
import { VolumeMa } from './indicators/volume-ma.ts';
import { Vwap } from './indicators/vwap.ts';

const COLUMN_COUNT = INDICATOR_COLUMNS.length;

/** Column positions in `raw`, fixed by domain/indicators.ts. */
const enum Col {
  Adx = 0,
  Rsi,
  Ema12,
  Ema21,
  Ema50,
  Vwap,
  Atr,
  BbUpper,
  BbLower,
  StochK,
  StochD,
  MacdLine,
  MacdSignal,
  VolumeMa,
  PriceChange,
  Volatility,
  Mfi,
}

export class IndicatorSet {
  /** Candles needed before every column has a value (largest lookback + 1: EMA(50)). */
  static readonly WARMUP_CANDLES = 50;

  /** Latest values in domain/indicators.ts order; NaN while a column warms up. Overwritten by each push. */
  readonly raw = new Float64Array(COLUMN_COUNT).fill(NaN);

  private readonly adx = new Adx(14);
  private readonly rsi = new Rsi(14);
  private readonly ema12 = new Ema(12);
  private readonly ema21 = new Ema(21);
  private readonly ema50 = new Ema(50);
  private readonly vwap = new Vwap();
  private readonly atr = new Atr(14);
  private readonly bollinger = new Bollinger(20, 2);
  private readonly stoch = new Stochastic(14, 3, 3);
  private readonly macd = new Macd(12, 26, 9);
  private readonly volumeMa = new VolumeMa(20);
  private readonly priceChange = new PriceChange();
  private readonly volatility = new Volatility(20);
  private readonly mfi = new Mfi(14);

  private candles = 0;
  private lastOpenTime = -Infinity;

  constructor(readonly symbol?: string) {}

  /** Number of candles consumed. */
  get count(): number {
    return this.candles;
  }

  /** True once every one of the 17 columns has a value. */
  get isReady(): boolean {
    return this.candles >= IndicatorSet.WARMUP_CANDLES;
  }

  /** Open time of the last candle consumed, or -Infinity. */
  get lastTime(): number {
    return this.lastOpenTime;
  }

  /** Consume one closed candle; returns a snapshot of the 17 values (null while warming up). */
  update(bar: Bar): IndicatorValues {
    this.push(bar);
    return this.snapshot();
  }

  /** Consume one closed candle without allocating; read the result from `raw`. */
  push(bar: Bar): void {
    if (!(bar.openTime > this.lastOpenTime)) {
      throw new CandleOrderError(this.symbol, bar.openTime, this.lastOpenTime);
    }
    this.lastOpenTime = bar.openTime;
    this.candles++;
    const r = this.raw;
    r[Col.Adx] = this.adx.update(bar) ?? NaN;
    r[Col.Rsi] = this.rsi.update(bar) ?? NaN;
    r[Col.Ema12] = this.ema12.update(bar) ?? NaN;
    r[Col.Ema21] = this.ema21.update(bar) ?? NaN;
    r[Col.Ema50] = this.ema50.update(bar) ?? NaN;
    r[Col.Vwap] = this.vwap.update(bar) ?? NaN;
    r[Col.Atr] = this.atr.update(bar) ?? NaN;
    const bb = this.bollinger.update(bar);
    r[Col.BbUpper] = bb ? bb.upper : NaN;
    r[Col.BbLower] = bb ? bb.lower : NaN;
    const st = this.stoch.update(bar);
    r[Col.StochK] = st ? st.k : NaN;
    r[Col.StochD] = st ? st.d : NaN;
    const m = this.macd.update(bar);
    r[Col.MacdLine] = m ? m.macd : NaN;
    r[Col.MacdSignal] = m ? m.signal : NaN;
    r[Col.VolumeMa] = this.volumeMa.update(bar) ?? NaN;
    r[Col.PriceChange] = this.priceChange.update(bar) ?? NaN;
    r[Col.Volatility] = this.volatility.update(bar) ?? NaN;
    r[Col.Mfi] = this.mfi.update(bar) ?? NaN;
  }

  /** The latest values as a fresh object, null for columns still warming up. */
  snapshot(): IndicatorValues {
    return rawToValues(this.raw);
  }

  /** Back to the freshly constructed state. */
  reset(): void {
    for (const ind of [
      this.adx, this.rsi, this.ema12, this.ema21, this.ema50, this.vwap, this.atr, this.bollinger,
      this.stoch, this.macd, this.volumeMa, this.priceChange, this.volatility, this.mfi,
    ]) ind.reset();
    this.raw.fill(NaN);
    this.candles = 0;
    this.lastOpenTime = -Infinity;
  }
}

const orNull = (v: number): number | null => (v === v ? v : null);

/** `raw` (domain/indicators.ts order, NaN = warming up) as an `IndicatorValues` object. */
export function rawToValues(r: ArrayLike<number>): IndicatorValues {
  return {
    adx_value: orNull(r[Col.Adx]!),
    rsi_value: orNull(r[Col.Rsi]!),
    ema_12: orNull(r[Col.Ema12]!),
    ema_21: orNull(r[Col.Ema21]!),
    ema_50: orNull(r[Col.Ema50]!),
    vwap: orNull(r[Col.Vwap]!),
    atr_value: orNull(r[Col.Atr]!),
    bollinger_upper: orNull(r[Col.BbUpper]!),
    bollinger_lower: orNull(r[Col.BbLower]!),
    stoch_k: orNull(r[Col.StochK]!),
    stoch_d: orNull(r[Col.StochD]!),
    macd_line: orNull(r[Col.MacdLine]!),
    macd_signal: orNull(r[Col.MacdSignal]!),
    volume_ma: orNull(r[Col.VolumeMa]!),
    price_change_pct: orNull(r[Col.PriceChange]!),
    volatility: orNull(r[Col.Volatility]!),
    mfi_value: orNull(r[Col.Mfi]!),
  };
}

/** An `IndicatorValues` object written into `out` in domain/indicators.ts order, null as NaN. */
export function valuesToRaw(values: IndicatorValues, out: Float64Array = new Float64Array(COLUMN_COUNT)): Float64Array {
  for (let i = 0; i < COLUMN_COUNT; i++) out[i] = values[INDICATOR_COLUMNS[i]!] ?? NaN;
  return out;
}
