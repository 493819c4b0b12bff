/**
 * The rule consensus: each indicator votes in [−1, 1] (+1 = buy, −1 = sell), the consensus is the
 * weight-averaged vote, and thresholds map it to BUY / SELL / HOLD with a confidence. It is the
 * signal before any model is active (model_version "rules") and the "rule consensus" baseline of
 * the model report.
 *
 * Votes (clip(x) = min(1, max(−1, x)); scale = ATR(14), or 0.1 % of close while ATR is 0):
 *
 * | column            | vote                                                        | kind           |
 * |-------------------|-------------------------------------------------------------|----------------|
 * | ema_12/21/50      | clip((close − ema) / scale)                                 | trend          |
 * | vwap              | clip((close − vwap) / scale)                                | trend          |
 * | macd_line         | clip(2 · macd / scale)                                      | trend          |
 * | macd_signal       | clip(2 · (macd − signal) / scale)   (histogram)             | trend          |
 * | adx_value         | sign(ema_12 − ema_50) · clip((adx − 20) / 20, 0, 1)         | trend strength |
 * | rsi_value         | clip((50 − rsi) / 50)   (oversold buys, overbought sells)   | mean reversion |
 * | stoch_k           | clip((50 − %K) / 50)                                        | mean reversion |
 * | stoch_d           | clip((%K − %D) / 20)    (%K crossing above %D buys)         | momentum       |
 * | mfi_value         | clip((50 − mfi) / 50)                                       | mean reversion |
 * | bollinger_upper,  | clip(1 − 2 · %B), %B = (close − lower) / (upper − lower);    | mean reversion |
 * | bollinger_lower   | both bands cast this vote; 0 when the bands coincide        |                |
 * | price_change_pct  | clip(change / (100 · scale / close))  (move in ATRs)        | momentum       |
 * | volume_ma         | sign(price change) · clip(volume / volume_ma − 1, 0, 1)      | confirmation   |
 * | atr_value,        | abstain: no direction (they set the scale instead)          |                |
 * | volatility        |                                                             |                |
 *
 * Trend votes (ema_*, vwap, macd_*) are multiplied by m = 0.5 + 0.5 · clip((adx − 15) / 15, 0, 1):
 * halved in a trendless market (ADX ≤ 15), full when ADX ≥ 30 (m = 1 while ADX is warming up).
 *
 * consensus = Σ wᵢ·voteᵢ / Σ wᵢ over the columns that vote (non-null value, weight > 0).
 * BUY when consensus ≥ buyThreshold (0.2), SELL when ≤ −sellThreshold (−0.2), else HOLD.
 * confidence: for BUY/SELL 0.5 + 0.5 · (|c| − t) / (1 − t), for HOLD 0.5 + 0.5 · (t − |c|) / t,
 * so it is 0.5 at a threshold and 1 at full agreement (or at exactly 0 for HOLD).
 * probabilities: the chosen direction gets `confidence`; the other two share 1 − confidence in
 * proportion to their affinities (BUY max(c, 0), SELL max(−c, 0), HOLD 1 − |c|).
 */
import { INDICATOR_COLUMNS, type IndicatorColumn, type IndicatorValues } from '../domain/indicators.ts';
import type { Direction } from '../domain/prediction.ts';
import type { Bar } from './indicators/indicator.ts';
import type { IndicatorWeights } from './weights.ts';

export interface ConsensusOptions {
  /** Consensus at or above this is BUY. Default 0.2. */
  buyThreshold?: number;
  /** Consensus at or below minus this is SELL. Default 0.2. */
  sellThreshold?: number;
}

export interface ConsensusResult {
  /** Weighted mean vote in [−1, 1]; 0 when nothing votes. */
  score: number;
  direction: Direction;
  confidence: number;
  probabilities: Record<Direction, number>;
  /** Each column's vote; null when it abstains or is warming up. */
  votes: Record<IndicatorColumn, number | null>;
  /** Columns that voted with a positive weight. */
  voters: number;
}

export const DEFAULT_BUY_THRESHOLD = 0.2;
export const DEFAULT_SELL_THRESHOLD = 0.2;

const clip = (x: number, lo = -1, hi = 1) => (x < lo ? lo : x > hi ? hi : x);

/** The vote of every column for this candle (see the table above). */
export function indicatorVotes(v: IndicatorValues, bar: Pick<Bar, 'close' | 'volume'>): Record<IndicatorColumn, number | null> {
  const close = bar.close;
  const scale = v.atr_value !== null && v.atr_value > 0 ? v.atr_value : close * 1e-3;
  const m = v.adx_value === null ? 1 : 0.5 + 0.5 * clip((v.adx_value - 15) / 15, 0, 1);
  const trend = (level: number | null) => (level === null ? null : m * clip((close - level) / scale));

  let bollinger: number | null = null;
  if (v.bollinger_upper !== null && v.bollinger_lower !== null) {
    const width = v.bollinger_upper - v.bollinger_lower;
    bollinger = width > 0 ? clip(1 - 2 * ((close - v.bollinger_lower) / width)) : 0;
  }
  const change = v.price_change_pct;

  return {
    adx_value:
      v.adx_value === null || v.ema_12 === null || v.ema_50 === null
        ? null
        : Math.sign(v.ema_12 - v.ema_50) * clip((v.adx_value - 20) / 20, 0, 1),
    rsi_value: v.rsi_value === null ? null : clip((50 - v.rsi_value) / 50),
    ema_12: trend(v.ema_12),
    ema_21: trend(v.ema_21),
    ema_50: trend(v.ema_50),
    vwap: trend(v.vwap),
    atr_value: null,
    bollinger_upper: bollinger,
    bollinger_lower: bollinger,
    stoch_k: v.stoch_k === null ? null : clip((50 - v.stoch_k) / 50),
    stoch_d: v.stoch_k === null || v.stoch_d === null ? null : clip((v.stoch_k - v.stoch_d) / 20),
    macd_line: v.macd_line === null ? null : m * clip((2 * v.macd_line) / scale),
    macd_signal: v.macd_line === null || v.macd_signal === null ? null : m * clip((2 * (v.macd_line - v.macd_signal)) / scale),
    volume_ma:
      v.volume_ma === null || change === null
        ? null
        : v.volume_ma > 0
          ? Math.sign(change) * clip(bar.volume / v.volume_ma - 1, 0, 1)
          : 0,
    price_change_pct: change === null ? null : clip(change / ((100 * scale) / close)),
    volatility: null,
    mfi_value: v.mfi_value === null ? null : clip((50 - v.mfi_value) / 50),
  };
}

/** Weighted consensus of the votes, mapped to a direction, confidence and probabilities. */
export function consensus(
  values: IndicatorValues,
  bar: Pick<Bar, 'close' | 'volume'>,
  weights: IndicatorWeights,
  opts: ConsensusOptions = {},
): ConsensusResult {
  const buyT = opts.buyThreshold ?? DEFAULT_BUY_THRESHOLD;
  const sellT = opts.sellThreshold ?? DEFAULT_SELL_THRESHOLD;
  if (!(buyT > 0 && buyT < 1 && sellT > 0 && sellT < 1)) throw new RangeError('consensus thresholds must lie in (0, 1)');
  const votes = indicatorVotes(values, bar);
  let num = 0;
  let den = 0;
  let voters = 0;
  for (const c of INDICATOR_COLUMNS) {
    const vote = votes[c];
    const w = weights[c];
    if (vote === null || !(w > 0)) continue;
    num += w * vote;
    den += w;
    voters++;
  }
  const score = den > 0 ? clip(num / den) : 0;
  const direction: Direction = score >= buyT ? 'BUY' : score <= -sellT ? 'SELL' : 'HOLD';
  const a = Math.abs(score);
  const t = direction === 'BUY' ? buyT : direction === 'SELL' ? sellT : score >= 0 ? buyT : sellT;
  const confidence = direction === 'HOLD' ? 0.5 + (0.5 * (t - a)) / t : 0.5 + (0.5 * (a - t)) / (1 - t);
  return { score, direction, confidence, probabilities: probabilities(direction, confidence, score), votes, voters };
}

function probabilities(direction: Direction, confidence: number, score: number): Record<Direction, number> {
  const affinity: Record<Direction, number> = { BUY: Math.max(score, 0), SELL: Math.max(-score, 0), HOLD: 1 - Math.abs(score) };
  const [x, y]: [Direction, Direction] =
    direction === 'BUY' ? ['SELL', 'HOLD'] : direction === 'SELL' ? ['BUY', 'HOLD'] : ['BUY', 'SELL'];
  const rest = 1 - confidence;
  const total = affinity[x] + affinity[y];
  const p: Record<Direction, number> = { BUY: 0, SELL: 0, HOLD: 0 };
  p[direction] = confidence;
  p[x] = total > 0 ? (rest * affinity[x]) / total : rest / 2;
  // rest − p[x] can round to −1e-18 when p[x] takes all of it; a probability is never negative.
  p[y] = Math.max(0, rest - p[x]);
  return p;
}
