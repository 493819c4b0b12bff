/**
 * A short technical summary of one symbol's latest candle, for `GET /v1/indicators/:symbol` and for
 * the market context stored with signals and training samples (market_session, trend_direction,
 * volatility_regime: each value fits their VARCHAR(10)).
 *
 * - trend: `sideways` when ADX < 20; else `up` when ema_12 > ema_21 > ema_50, `down` when
 *   ema_12 < ema_21 < ema_50, `sideways` otherwise. trendStrength from ADX: < 20 weak, < 40
 *   moderate, else strong.
 * - momentum: RSI ≥ 70 `overbought`, ≤ 30 `oversold`; else `bullish` when MACD > signal and RSI > 50,
 *   `bearish` when MACD < signal and RSI < 50, `neutral` otherwise.
 * - volatility: the 20-candle σ of log returns against its slow average (the caller's baseline):
 *   ratio < 0.7 `low`, > 1.5 `high`, else `normal` (also while no baseline exists).
 * - volume: this candle's volume / volume_ma: < 0.5 `low`, > 1.5 `high`, else `normal`.
 * - session: the market session of the candle's open time (domain/market-session.ts): a forex
 *   centre, an overlap or `closed` for forex pairs, `24h` for crypto.
 */
import type { IndicatorValues } from '../domain/indicators.ts';
import { marketKindOf, marketSession, type MarketKind, type MarketSession } from '../domain/market-session.ts';
import type { Bar } from './indicators/indicator.ts';

export type Trend = 'up' | 'down' | 'sideways';
export type TrendStrength = 'weak' | 'moderate' | 'strong';
export type Momentum = 'overbought' | 'oversold' | 'bullish' | 'bearish' | 'neutral';
export type Level = 'low' | 'normal' | 'high';

export interface TechnicalSummary {
  trend: Trend;
  trendStrength: TrendStrength | null;
  momentum: Momentum;
  volatility: Level;
  volume: Level;
  session: MarketSession;
  /** One line for people, e.g. "uptrend (ADX 27.1, moderate); momentum bullish (RSI 58.2); ...". */
  text: string;
}

export interface SummaryContext {
  /** Slow average of `volatility` to compare the current value with; null when unknown. */
  volatilityBaseline?: number | null;
  /** The symbol, whose market (forex or crypto) decides the session's vocabulary. */
  symbol?: string;
  /** The feed's own word on the market, over the symbol's (OANDA: forex hours for every instrument). */
  market?: MarketKind;
}

/**
 * The session of an open time, computed once per open time: every symbol of a tick shares it, so
 * at thousands of symbols the date arithmetic runs once a tick, not once a symbol.
 */
let forexMemo = { openTime: Number.NaN, session: '' as MarketSession };
function sessionAt(openTime: number, market: MarketKind): MarketSession {
  if (market === 'crypto') return '24h';
  if (forexMemo.openTime !== openTime) forexMemo = { openTime, session: marketSession(openTime, 'forex') };
  return forexMemo.session;
}

const kinds = new Map<string, MarketKind>();
function kindOf(symbol: string): MarketKind {
  let k = kinds.get(symbol);
  if (k === undefined) {
    if (kinds.size > 100_000) kinds.clear();
    kinds.set(symbol, (k = marketKindOf(symbol)));
  }
  return k;
}

function level(ratio: number | null, low: number, high: number): Level {
  if (ratio === null || !Number.isFinite(ratio)) return 'normal';
  return ratio < low ? 'low' : ratio > high ? 'high' : 'normal';
}

export function technicalSummary(v: IndicatorValues, bar: Pick<Bar, 'openTime' | 'volume'>, ctx: SummaryContext = {}): TechnicalSummary {
  const adx = v.adx_value;
  const trendStrength: TrendStrength | null = adx === null ? null : adx < 20 ? 'weak' : adx < 40 ? 'moderate' : 'strong';
  let trend: Trend = 'sideways';
  if (adx !== null && adx >= 20 && v.ema_12 !== null && v.ema_21 !== null && v.ema_50 !== null) {
    if (v.ema_12 > v.ema_21 && v.ema_21 > v.ema_50) trend = 'up';
    else if (v.ema_12 < v.ema_21 && v.ema_21 < v.ema_50) trend = 'down';
  }

  const rsi = v.rsi_value;
  let momentum: Momentum = 'neutral';
  if (rsi !== null && rsi >= 70) momentum = 'overbought';
  else if (rsi !== null && rsi <= 30) momentum = 'oversold';
  else if (rsi !== null && v.macd_line !== null && v.macd_signal !== null) {
    if (v.macd_line > v.macd_signal && rsi > 50) momentum = 'bullish';
    else if (v.macd_line < v.macd_signal && rsi < 50) momentum = 'bearish';
  }

  const baseline = ctx.volatilityBaseline ?? null;
  const volRatio = v.volatility !== null && baseline !== null && baseline > 0 ? v.volatility / baseline : null;
  const volumeRatio = v.volume_ma !== null && v.volume_ma > 0 ? bar.volume / v.volume_ma : null;
  const volatility = level(volRatio, 0.7, 1.5);
  const volume = level(volumeRatio, 0.5, 1.5);
  const session = sessionAt(bar.openTime, ctx.market ?? (ctx.symbol ? kindOf(ctx.symbol) : 'crypto'));

  const trendText =
    adx === null
      ? 'trend warming up'
      : `${trend === 'sideways' ? 'sideways' : `${trend}trend`} (ADX ${adx.toFixed(1)}, ${trendStrength})`;
  const momentumText = rsi === null ? 'momentum warming up' : `momentum ${momentum} (RSI ${rsi.toFixed(1)})`;
  const volumeText = volumeRatio === null ? `volume ${volume}` : `volume ${volume} (${volumeRatio.toFixed(1)}× average)`;
  const text = `${trendText}; ${momentumText}; volatility ${volatility}; ${volumeText}`;

  return { trend, trendStrength, momentum, volatility, volume, session, text };
}
