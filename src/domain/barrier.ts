/**
 * THE barrier walk (DESIGN.md "Barriers"): the one piece of code that decides how a trade opened on
 * a signal candle ends. The live outcome tracker feeds it one candle at a time (`openTrade` +
 * `stepTrade`), the label builder and the backtest walk arrays (`walkTrade`, `tripleBarrierLabels`);
 * both go through `stepTrade`, so they cannot disagree.
 *
 * Conventions, fixed here and nowhere else:
 * - Entry is the signal candle's close; ATR at entry sets the barriers.
 *   BUY:  take profit = entry + tpAtrMult × ATR, stop loss = entry − slAtrMult × ATR.
 *   SELL: take profit = entry − tpAtrMult × ATR, stop loss = entry + slAtrMult × ATR.
 * - The walk starts at the candle after the signal candle and covers at most `horizon` candles.
 *   A candle touches the stop when its low <= stop (BUY) / high >= stop (SELL), the take profit when
 *   its high >= take profit (BUY) / low <= take profit (SELL). When one candle touches both, the stop
 *   wins (we cannot know the order inside a candle; assume the worse). A barrier exit fills at the
 *   barrier price. If neither is touched by the `horizon`-th candle, the trade expires at its close.
 * - P/L in percent of the entry, net of `feePct` per side (entry and exit, so 2 × feePct in all):
 *     BUY:  pnlPct = 100 × (exit / entry − 1) − 2 × feePct
 *     SELL: pnlPct = 100 × (1 − exit / entry) − 2 × feePct
 * - Excursions (gross of fees) over every candle walked, each candle's range clipped to the band
 *   [stop, take profit] since the trade cannot live beyond its barriers:
 *     maxProfitPct >= 0: best favourable move, maxLossPct <= 0: worst adverse move.
 * - Candles are consumed in array order; a gap in the data is not filled (as the indicators do).
 */
import { SignalbaseError } from './errors.ts';
import type { Direction, Outcome } from './prediction.ts';

export interface BarrierParams {
  tpAtrMult: number;
  slAtrMult: number;
  /** Maximum number of candles after the signal candle the trade stays open. */
  horizon: number;
  /** Fee per side, in percent (0.1 = 0.1 %). */
  feePct: number;
}

export type TradeDirection = Exclude<Direction, 'HOLD'>;
export type TradeOutcome = Exclude<Outcome, 'NO_TRADE'>;

export interface BarrierResult {
  outcome: TradeOutcome;
  exitPrice: number;
  /** Index of the exit candle in the walked series (for `walkTrade`: the array index). */
  exitIndex: number;
  /** Candles walked, 1..horizon; the exit candle is the `barsHeld`-th after the signal candle. */
  barsHeld: number;
  pnlPct: number;
  maxProfitPct: number;
  maxLossPct: number;
}

/** An open trade as the live tracker keeps it. Mutated by `stepTrade`; plain data, serialisable. */
export interface OpenTrade {
  direction: TradeDirection;
  entryPrice: number;
  takeProfit: number;
  stopLoss: number;
  horizon: number;
  feePct: number;
  barsHeld: number;
  maxProfitPct: number;
  maxLossPct: number;
}

/** Inputs the barrier walk refuses: they would give meaningless barriers. */
export class BarrierInputError extends SignalbaseError {
  constructor(message: string, context: Record<string, unknown>) {
    super('BARRIER_INPUT_INVALID', message, { context });
  }
}

/** Later candles, read in place: any array-like (number[], Float64Array) works without copying. */
export interface PriceArrays {
  high: ArrayLike<number>;
  low: ArrayLike<number>;
  close: ArrayLike<number>;
}

export function checkParams(p: BarrierParams): void {
  const ok =
    Number.isFinite(p.tpAtrMult) && p.tpAtrMult > 0 &&
    Number.isFinite(p.slAtrMult) && p.slAtrMult > 0 &&
    Number.isInteger(p.horizon) && p.horizon >= 1 &&
    Number.isFinite(p.feePct) && p.feePct >= 0;
  if (!ok) {
    throw new BarrierInputError(
      `barrier parameters must be positive multipliers, an integer horizon >= 1 and a fee >= 0; got ${JSON.stringify(p)}`,
      { params: p },
    );
  }
}

/** Stop-loss and take-profit prices for a trade (also what a signal publishes). */
export function barrierLevels(
  direction: TradeDirection,
  entryPrice: number,
  atr: number,
  p: Pick<BarrierParams, 'tpAtrMult' | 'slAtrMult'>,
): { takeProfit: number; stopLoss: number } {
  if (!(Number.isFinite(entryPrice) && entryPrice > 0) || !(Number.isFinite(atr) && atr > 0)) {
    throw new BarrierInputError(`entry price and ATR must be finite and positive; got entry ${entryPrice}, ATR ${atr}`, {
      entryPrice,
      atr,
    });
  }
  const sign = direction === 'BUY' ? 1 : -1;
  return { takeProfit: entryPrice + sign * p.tpAtrMult * atr, stopLoss: entryPrice - sign * p.slAtrMult * atr };
}

export function openTrade(direction: TradeDirection, entryPrice: number, atr: number, p: BarrierParams): OpenTrade {
  checkParams(p);
  const { takeProfit, stopLoss } = barrierLevels(direction, entryPrice, atr, p);
  return { direction, entryPrice, takeProfit, stopLoss, horizon: p.horizon, feePct: p.feePct, barsHeld: 0, maxProfitPct: 0, maxLossPct: 0 };
}

/** Net P/L in percent of a trade exiting at `exitPrice` (formula in the header). */
export function tradePnlPct(direction: TradeDirection, entryPrice: number, exitPrice: number, feePct: number): number {
  const gross = direction === 'BUY' ? exitPrice / entryPrice - 1 : 1 - exitPrice / entryPrice;
  return 100 * gross - 2 * feePct;
}

/**
 * Advances an open trade by one later candle. Returns the result when this candle closes the trade,
 * else null (the trade stays open). Never call it again on a resolved trade.
 * `index` is reported back as `exitIndex` (an array index for walkTrade; the live tracker may pass
 * the candle's open time).
 */
export function stepTrade(t: OpenTrade, high: number, low: number, close: number, index: number): BarrierResult | null {
  if (t.barsHeld >= t.horizon) {
    throw new BarrierInputError('stepTrade called on a trade that already reached its horizon', { barsHeld: t.barsHeld });
  }
  t.barsHeld += 1;
  const buy = t.direction === 'BUY';
  const stopTouched = buy ? low <= t.stopLoss : high >= t.stopLoss;
  const tpTouched = buy ? high >= t.takeProfit : low <= t.takeProfit;

  // Excursions over the candle's range clipped to the barrier band.
  const favourable = buy ? Math.min(high, t.takeProfit) : Math.max(low, t.takeProfit);
  const adverse = buy ? Math.max(low, t.stopLoss) : Math.min(high, t.stopLoss);
  const favPct = 100 * (buy ? favourable / t.entryPrice - 1 : 1 - favourable / t.entryPrice);
  const advPct = 100 * (buy ? adverse / t.entryPrice - 1 : 1 - adverse / t.entryPrice);
  if (favPct > t.maxProfitPct) t.maxProfitPct = favPct;
  if (advPct < t.maxLossPct) t.maxLossPct = advPct;

  let outcome: TradeOutcome | null = null;
  let exitPrice = close;
  if (stopTouched) {
    outcome = 'SL_HIT';
    exitPrice = t.stopLoss;
  } else if (tpTouched) {
    outcome = 'TP_HIT';
    exitPrice = t.takeProfit;
  } else if (t.barsHeld === t.horizon) {
    outcome = 'EXPIRED';
  }
  if (outcome === null) return null;
  return {
    outcome,
    exitPrice,
    exitIndex: index,
    barsHeld: t.barsHeld,
    pnlPct: tradePnlPct(t.direction, t.entryPrice, exitPrice, t.feePct),
    maxProfitPct: t.maxProfitPct,
    maxLossPct: t.maxLossPct,
  };
}

/**
 * Walks a trade opened on the candle at `signalIndex` (entry = its close) over the candles after it.
 * Returns null when the series ends before the trade resolves (not enough later candles yet).
 */
export function walkTrade(
  direction: TradeDirection,
  prices: PriceArrays,
  signalIndex: number,
  atr: number,
  p: BarrierParams,
): BarrierResult | null {
  const entry = prices.close[signalIndex];
  if (entry === undefined) {
    throw new BarrierInputError(`signal index ${signalIndex} is outside the series of ${prices.close.length} candles`, { signalIndex });
  }
  const t = openTrade(direction, entry, atr, p);
  const last = Math.min(prices.close.length - 1, signalIndex + p.horizon);
  for (let i = signalIndex + 1; i <= last; i++) {
    const r = stepTrade(t, prices.high[i]!, prices.low[i]!, prices.close[i]!, i);
    if (r) return r;
  }
  return null;
}

/** Both sides of the triple barrier at one candle, and the label they give. */
export interface TripleBarrierLabel {
  /** BUY when the long take profit comes first, SELL when the short one does, else HOLD. */
  label: Direction;
  long: BarrierResult;
  short: BarrierResult;
}

/**
 * The label of the candle at `index` (triple barrier), or null when it cannot be labelled: ATR not
 * warm (null / non-positive) or fewer than `horizon` candles after it. The last `horizon` candles
 * stay unlabelled even when a barrier already resolved them: keeping only the early-resolved ones
 * would bias the end of every series toward BUY/SELL.
 * The two take profits cannot both come first: reaching one side's take profit (tpAtrMult × ATR)
 * means crossing the other side's stop (slAtrMult × ATR) earlier or on the same candle, and the
 * stop wins a shared candle. With tpAtrMult < slAtrMult both could happen; BUY is then chosen when
 * its take profit came on an earlier candle, SELL likewise, HOLD on a tie.
 */
export function tripleBarrierAt(prices: PriceArrays, atr: number | null, index: number, p: BarrierParams): TripleBarrierLabel | null {
  if (atr === null || !Number.isFinite(atr) || atr <= 0) return null;
  if (index + p.horizon > prices.close.length - 1) return null;
  const long = walkTrade('BUY', prices, index, atr, p);
  if (!long) return null;
  const short = walkTrade('SELL', prices, index, atr, p);
  if (!short) return null;
  return { label: labelOf(long, short), long, short };
}

/**
 * The triple-barrier label from both sides' results (rule in `tripleBarrierAt`'s comment). Shared
 * with the live outcome tracker, which steps the two sides of a HOLD itself.
 */
export function labelOf(long: Pick<BarrierResult, 'outcome' | 'barsHeld'>, short: Pick<BarrierResult, 'outcome' | 'barsHeld'>): Direction {
  const longTp = long.outcome === 'TP_HIT';
  const shortTp = short.outcome === 'TP_HIT';
  if (longTp && (!shortTp || long.barsHeld < short.barsHeld)) return 'BUY';
  if (shortTp && (!longTp || short.barsHeld < long.barsHeld)) return 'SELL';
  return 'HOLD';
}

/**
 * Labels for every candle of one symbol's series (arrays aligned by index, oldest first). The last
 * `horizon` candles, and candles whose ATR is still warming up, get null.
 */
export function tripleBarrierLabels(
  prices: PriceArrays,
  atr: ArrayLike<number | null>,
  p: BarrierParams,
): Array<TripleBarrierLabel | null> {
  checkParams(p);
  const n = prices.close.length;
  if (prices.high.length !== n || prices.low.length !== n || atr.length !== n) {
    throw new BarrierInputError('high, low, close and ATR arrays must have the same length', {
      high: prices.high.length,
      low: prices.low.length,
      close: n,
      atr: atr.length,
    });
  }
  const out = new Array<TripleBarrierLabel | null>(n);
  for (let i = 0; i < n; i++) out[i] = tripleBarrierAt(prices, atr[i] ?? null, i, p);
  return out;
}

/**
 * Whether a HOLD signal was right: neither a long nor a short trade opened on that candle would have
 * hit its take profit first, i.e. the triple-barrier label is HOLD. Null until `horizon` candles
 * after the signal exist.
 * Training labels and live accuracy therefore measure the same thing.
 */
export function holdWasCorrect(prices: PriceArrays, signalIndex: number, atr: number, p: BarrierParams): boolean | null {
  const l = tripleBarrierAt(prices, atr, signalIndex, p);
  return l === null ? null : l.label === 'HOLD';
}
