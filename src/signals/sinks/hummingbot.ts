/**
 * The `hummingbot` preset of the mqtt kind: what Hummingbot's `ai_livestream` directional controller
 * (hummingbot/hummingbot controllers/directional_trading/ai_livestream.py) subscribes to and reads.
 *
 * The controller subscribes to `{topic}/{pair}/ML_SIGNALS` where `topic` is its config (default
 * `hbot/predictions`) and `pair` its trading_pair with `-` turned into `_` and lower-cased
 * (`normalized_pair = self.config.trading_pair.replace("-", "_").lower()`, ai_livestream.py at
 * hummingbot/hummingbot 295e36f7), through ExternalTopicFactory.create_async(use_bot_prefix=False),
 * i.e. that exact topic (hummingbot/remote_iface/mqtt.py ETopicListener); the payload is read as
 * JSON into a dict. MQTT topics are case-sensitive, so DESIGN.md's `<BASE>_<QUOTE>` is written
 * lower-case by default (BTC/USDT → btc_usdt), which is what an unmodified controller receives;
 * `hummingbot_topic_case: upper` keeps the symbol's case (BTC_USDT) for a subscriber that wants it.
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

export type TopicCase = 'lower' | 'upper';

/** `hbot/predictions/ltc_btc/ML_SIGNALS` for LTC/BTC under the default prefix (`upper`: LTC_BTC). */
export function hummingbotTopic(prefix: string, symbol: string, topicCase: TopicCase = 'lower'): string {
  const [base = '', quote = ''] = symbol.split('/');
  const pair = `${base}_${quote}`;
  return `${prefix.replace(/\/+$/, '')}/${topicCase === 'lower' ? pair.toLowerCase() : pair.toUpperCase()}/ML_SIGNALS`;
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
