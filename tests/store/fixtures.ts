/** Records for store tests, built on real candles from data/sample (Binance, January 2018). */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Candle } from '../../src/domain/candle.ts';
import { INDICATOR_COLUMNS, type IndicatorValues } from '../../src/domain/indicators.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import type { Timeframe } from '../../src/domain/timeframe.ts';
import type { ModelMetrics, TrainingSampleRecord } from '../../src/store/types.ts';

type Row = [number, number, number, number, number, number];

/** The candles of data/sample/<BASE>_<QUOTE>-<tf>.json as Candle values. */
export function sampleCandles(file: 'LTC_BTC-5m' | 'XLM_BTC-5m' | 'DASH_BTC-5m', count?: number): Candle[] {
  const rows = JSON.parse(readFileSync(new URL(`../../data/sample/${file}.json`, import.meta.url), 'utf8')) as Row[];
  const [pair, tf] = file.split('-') as [string, Timeframe];
  const symbol = pair.replace('_', '/');
  return rows.slice(0, count).map(([openTime, open, high, low, close, volume]) => ({
    symbol,
    timeframe: tf,
    openTime,
    open,
    high,
    low,
    close,
    volume,
  }));
}

/** All 17 indicators, a few still warming up (null), values with many significant digits. */
export function indicators(seed: number): IndicatorValues {
  const values = Object.fromEntries(INDICATOR_COLUMNS.map((c, i) => [c, (seed + i) / 7])) as IndicatorValues;
  values.adx_value = null;
  values.mfi_value = 0.0000123 * seed;
  return values;
}

export function prediction(over: Partial<PredictionRecord> & { symbol: string; candleTime: number }): PredictionRecord {
  return {
    id: randomUUID(),
    timeframe: '5m',
    modelVersion: 'rules',
    predictionType: 'SIGNAL',
    predictedDirection: 'BUY',
    confidenceScore: 0.71,
    probabilities: { BUY: 0.71, SELL: 0.08, HOLD: 0.21 },
    recommendation: 'STRONG_BUY',
    signalWeight: 0.64,
    positionMultiplier: 1.3,
    entryPrice: 0.0169,
    stopLoss: 0.0166,
    takeProfit: 0.0173,
    riskScore: 0.42,
    technicalIndicators: indicators(3),
    inputFeatures: { window: 60, features: ['rsi_value'] },
    marketConditions: { regime: 'trending' },
    riskAssessment: null,
    processingTimeMs: 3.25,
    createdAt: over.candleTime + 300_000,
    actualOutcome: null,
    actualProfitLoss: null,
    exitPrice: null,
    outcomeTime: null,
    requestedBy: null,
    apiKeyId: null,
    ...over,
  };
}

export function sample(over: Partial<TrainingSampleRecord> = {}): TrainingSampleRecord {
  return {
    predictionId: randomUUID(),
    symbol: 'LTC/BTC',
    timeframe: '5m',
    candleTime: Date.UTC(2018, 0, 20, 10, 5),
    signalType: 'BUY',
    entryPrice: 0.0169,
    stopLoss: 0.0166,
    takeProfit: 0.0173,
    exitPrice: 0.0173,
    profitLoss: 2.17,
    performanceScore: 0.8,
    indicators: indicators(5),
    marketSession: 'asia',
    trendDirection: 'up',
    volatilityRegime: 'low',
    modelVersionUsed: 'rules',
    predictionConfidence: 0.7,
    actualResult: 'TP_HIT',
    status: 'TP_HIT',
    tradeDurationMinutes: 45,
    maxProfit: 2.3,
    maxLoss: -0.4,
    riskRewardRatio: 1.33,
    ...over,
  };
}

/** Figures that overflow the plan's DECIMAL(5,4) (max 9.9999) and DECIMAL(5,2) (max 999.99). */
export function bigMetrics(over: Partial<ModelMetrics> = {}): ModelMetrics {
  return {
    accuracy: 0.61,
    precisionBuy: 0.58,
    precisionSell: 0.55,
    recallBuy: 0.41,
    recallSell: 0.39,
    f1Macro: 0.47,
    winRate: 0.56,
    avgProfitPerTrade: 0.183,
    profitFactor: 1500.25,
    maxDrawdown: 0.12,
    sharpe: 12.345678,
    sortino: 23.4,
    calmar: 1234.5,
    trades: 321,
    ...over,
  };
}
