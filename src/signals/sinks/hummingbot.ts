/**
 * The `hummingbot` preset of the mqtt kind: what Hummingbot's `ai_livestream` directional controller
 * (hummingbot/hummingbot controllers/directional_trading/ai_livestream.py) subscribes to and reads.
 *
 * The controller subscribes to `{topic}/{pair}/ML_SIGNALS` where `topic` is its config (default
 * `hbot/predictions`) and `pair` its trading_pair with `-` turned into `_` and lower-cased
 * (BTC-USDT → btc_usdt); MQTT topics are case-sensitive, so the pair is lower-cased here too.
 * Its handler does `short, neutral, long = signal["probabilities"]`, goes short when short >
 * short_threshold, long when long > long_threshold (both 0.5 by default), else flat; and it scales its
 * triple barrier by `target_pct` (`triple_barrier_config.new_instance_with_adjusted_volatility(
 * volatility_factor=features.get("target_pct", 0.01))`), i.e. a volatility as a fraction of price.
 *
 * Mapping: probabilities = [SELL, HOLD, BUY] of the signal; target_pct = ATR / entry price (the
 * volatility our own stop and target are multiples of; 0.01, the controller's default, when ATR is
 * not warm); timestamp = candle open time, epoch seconds.
 */
import type { Signal } from '../../domain/signal.ts';

export interface HummingbotPrediction {
  id: string;
  timestamp: number;
  probabilities: [short: number, neutral: number, long: number];
  target_pct: number;
}

/** `hbot/predictions/ltc_btc/ML_SIGNALS` for LTC/BTC under the default prefix. */
export function hummingbotTopic(prefix: string, symbol: string): string {
  const [base = '', quote = ''] = symbol.split('/');
  return `${prefix.replace(/\/+$/, '')}/${`${base}_${quote}`.toLowerCase()}/ML_SIGNALS`;
}

export function hummingbotPrediction(s: Signal): HummingbotPrediction {
  const atr = s.technical_indicators.atr_value;
  const targetPct = typeof atr === 'number' && Number.isFinite(atr) && atr > 0 && s.entry_price > 0 ? atr / s.entry_price : 0.01;
  return {
    id: s.id,
    timestamp: Math.floor(Date.parse(s.candle_time) / 1000),
    probabilities: [s.probabilities.SELL, s.probabilities.HOLD, s.probabilities.BUY],
    target_pct: targetPct,
  };
}
