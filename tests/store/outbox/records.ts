/** Deterministic records for outbox tests (ids from the natural key, as the policy makes them). */
import type { OutcomeRecord, PredictionRecord } from '../../../src/domain/prediction.ts';
import { predictionId } from '../../../src/signals/prediction-id.ts';
import { prediction, sample } from '../fixtures.ts';

export const T0 = Date.UTC(2018, 0, 20, 0, 0);
export const STEP = 300_000;

export function crashPrediction(symbol: string, i: number, over: Partial<PredictionRecord> = {}): PredictionRecord {
  const candleTime = T0 + i * STEP;
  return prediction({ id: predictionId(symbol, '5m', candleTime, 'rules'), symbol, candleTime, ...over });
}

export function outcomeFor(p: PredictionRecord, i: number): OutcomeRecord {
  return { predictionId: p.id, outcome: i % 2 ? 'TP_HIT' : 'SL_HIT', exitPrice: i % 2 ? 0.0173 : 0.0166, profitLossPct: i % 2 ? 2.17 : -1.97, outcomeTime: p.candleTime + 10 * STEP };
}

export { sample };
