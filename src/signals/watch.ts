/**
 * Rebuilding the barrier state of a stored signal, for the outcome tracker.
 *
 * A BUY / SELL is rebuilt from its stored entry, stop loss and take profit (the levels subscribers
 * saw), so a reload after a restart is exact even if ATR or the multipliers changed since. The
 * horizon and fee are those recorded with the signal (risk_assessment.barrier, written by the
 * policy) when present, else the configured ones. Levels missing or on the wrong side of the entry
 * fall back to ATR at entry (technical_indicators.atr_value); with neither, the trade is unusable.
 */
import { openTrade, type BarrierParams, type OpenTrade, type TradeDirection } from '../domain/barrier.ts';
import type { PredictionRecord } from '../domain/prediction.ts';

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/** Horizon and fee recorded with the signal, else the configured ones. */
export function storedParams(p: PredictionRecord, fallback: BarrierParams): BarrierParams {
  const b = p.riskAssessment?.barrier as Record<string, unknown> | undefined;
  if (!b || typeof b !== 'object') return fallback;
  const horizon = b.horizon;
  const fee = b.fee_pct;
  return {
    tpAtrMult: positive(b.tp_atr_mult) ? b.tp_atr_mult : fallback.tpAtrMult,
    slAtrMult: positive(b.sl_atr_mult) ? b.sl_atr_mult : fallback.slAtrMult,
    horizon: typeof horizon === 'number' && Number.isInteger(horizon) && horizon >= 1 ? horizon : fallback.horizon,
    feePct: typeof fee === 'number' && Number.isFinite(fee) && fee >= 0 ? fee : fallback.feePct,
  };
}

function levelsValid(direction: TradeDirection, entry: number, stop: number | null, tp: number | null): boolean {
  if (!positive(entry) || stop === null || tp === null || !Number.isFinite(stop) || !Number.isFinite(tp)) return false;
  return direction === 'BUY' ? stop < entry && entry < tp : tp < entry && entry < stop;
}

/** The open trade of a BUY / SELL signal, or null when no usable barriers can be derived. */
export function tradeFromPrediction(p: PredictionRecord, fallback: BarrierParams): OpenTrade | null {
  if (p.predictedDirection === 'HOLD') return null;
  const direction = p.predictedDirection;
  const params = storedParams(p, fallback);
  if (levelsValid(direction, p.entryPrice, p.stopLoss, p.takeProfit)) {
    return {
      direction,
      entryPrice: p.entryPrice,
      takeProfit: p.takeProfit!,
      stopLoss: p.stopLoss!,
      horizon: params.horizon,
      feePct: params.feePct,
      barsHeld: 0,
      maxProfitPct: 0,
      maxLossPct: 0,
    };
  }
  const atr = p.technicalIndicators.atr_value;
  if (!positive(atr) || !positive(p.entryPrice)) return null;
  return openTrade(direction, p.entryPrice, atr, params);
}

/** Both sides of a HOLD's triple barrier from ATR at entry; null sides when ATR is unknown. */
export function holdSides(p: PredictionRecord, fallback: BarrierParams): { long: OpenTrade | null; short: OpenTrade | null; horizon: number } {
  const params = storedParams(p, fallback);
  const atr = p.technicalIndicators.atr_value;
  if (!positive(atr) || !positive(p.entryPrice)) return { long: null, short: null, horizon: params.horizon };
  return { long: openTrade('BUY', p.entryPrice, atr, params), short: openTrade('SELL', p.entryPrice, atr, params), horizon: params.horizon };
}
