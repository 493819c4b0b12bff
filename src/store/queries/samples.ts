/** ml_training_samples: one per resolved prediction (prediction_id is unique), written in one statement. */
import { INDICATOR_COLUMNS } from '../../features/columns.ts';
import type { TrainingSampleRecord } from '../types.ts';
import { dedupeBy, tsFromMs, type Ctx } from './common.ts';

const INDICATORS = INDICATOR_COLUMNS.join(', ');
const INDICATOR_TYPES = INDICATOR_COLUMNS.map((c) => `${c} float8`).join(', ');

export async function insertTrainingSamples({ db, n }: Ctx, rows: readonly TrainingSampleRecord[]): Promise<number> {
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
  const { rowCount } = await db.query(
    `INSERT INTO ${n.samples} (prediction_id, symbol, timeframe, candle_time, signal_type, entry_price,
       stop_loss, take_profit, exit_price, profit_loss, performance_score, ${INDICATORS},
       market_session, trend_direction, volatility_regime, model_version_used, prediction_confidence,
       actual_result, status, trade_duration_minutes, max_profit, max_loss, risk_reward_ratio)
     SELECT r.prediction_id, r.symbol, r.timeframe, ${tsFromMs('r.candle_ms')}, r.signal_type, r.entry_price,
       r.stop_loss, r.take_profit, r.exit_price, r.profit_loss, r.performance_score, ${INDICATOR_COLUMNS.map((c) => `r.${c}`).join(', ')},
       r.market_session, r.trend_direction, r.volatility_regime, r.model_version_used, r.prediction_confidence,
       r.actual_result, r.status, r.trade_duration_minutes, r.max_profit, r.max_loss, r.risk_reward_ratio
     FROM jsonb_to_recordset($1::jsonb) AS r(prediction_id uuid, symbol text, timeframe text, candle_ms float8,
       signal_type text, entry_price float8, stop_loss float8, take_profit float8, exit_price float8,
       profit_loss float8, performance_score float8, ${INDICATOR_TYPES}, market_session text,
       trend_direction text, volatility_regime text, model_version_used text, prediction_confidence float8,
       actual_result text, status text, trade_duration_minutes float8, max_profit float8, max_loss float8,
       risk_reward_ratio float8)
     ON CONFLICT (prediction_id) DO NOTHING`,
    [JSON.stringify(payload)],
  );
  return rowCount;
}

export async function countTrainingSamples({ db, n }: Ctx): Promise<number> {
  const { rows } = await db.query<{ count: number }>(`SELECT count(*)::integer AS count FROM ${n.samples}`);
  return rows[0]?.count ?? 0;
}
