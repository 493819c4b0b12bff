/** ml_training_samples: one per resolved prediction (prediction_id is unique), written in one statement. */
import type { TrainingSampleRecord } from '../types.ts';
import { dedupeBy, type RpcCtx } from './common.ts';

export async function insertTrainingSamples({ rpc }: RpcCtx, rows: readonly TrainingSampleRecord[]): Promise<number> {
  if (rows.length === 0) return 0;
  const payload = dedupeBy(rows, (s) => s.predictionId).map((s) => ({
    prediction_id: s.predictionId,
    symbol: s.symbol,
    timeframe: s.timeframe,
    candle_ms: s.candleTime,
    signal_type: s.signalType,
    entry_price: s.entryPrice,
    stop_loss: s.stopLoss,
    take_profit: s.takeProfit,
    exit_price: s.exitPrice,
    profit_loss: s.profitLoss,
    performance_score: s.performanceScore,
    ...s.indicators,
    market_session: s.marketSession ?? null,
    trend_direction: s.trendDirection ?? null,
    volatility_regime: s.volatilityRegime ?? null,
    model_version_used: s.modelVersionUsed,
    prediction_confidence: s.predictionConfidence,
    actual_result: s.actualResult,
    status: s.status,
    trade_duration_minutes: s.tradeDurationMinutes,
    max_profit: s.maxProfit,
    max_loss: s.maxLoss,
    risk_reward_ratio: s.riskRewardRatio,
  }));
  return rpc.value<number>('sb_insert_training_samples', { p_rows: payload });
}

export async function countTrainingSamples({ rpc }: RpcCtx): Promise<number> {
  return Number(await rpc.value<number>('sb_count_training_samples'));
}
