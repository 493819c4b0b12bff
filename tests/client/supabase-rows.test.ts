/**
 * The one mapping from an ml_predictions row (as Realtime sends it) to a Signal: for rows written
 * by the real store, it equals what the daemon publishes for the same prediction (toSignal of the
 * stored record), including the defaults for nullable columns. Times arrive in the forms Postgres
 * and Realtime write them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRowError, driftRowToUpdate, modelRowToUpdate, pgTimestampToIso, predictionRowToSignal, weightRowToUpdate } from '../../src/client/supabase-rows.ts';
import { toSignal } from '../../src/domain/signal.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore } from '../helpers/pg.ts';
import { prediction } from '../store/fixtures.ts';

const T0 = Date.UTC(2018, 0, 20, 10, 5);

describe('pgTimestampToIso', () => {
  it.each([
    ['2018-01-20T10:05:00+00:00', '2018-01-20T10:05:00.000Z'],
    ['2018-01-20 10:05:00+00', '2018-01-20T10:05:00.000Z'],
    ['2018-01-20 11:05:00.123456+01', '2018-01-20T10:05:00.123Z'],
    ['2018-01-20T15:35:00.5+0530', '2018-01-20T10:05:00.500Z'],
    ['2018-01-20T10:05:00Z', '2018-01-20T10:05:00.000Z'],
    ['2018-01-20T10:05:00', '2018-01-20T10:05:00.000Z'],
  ])('%s → %s', (input, iso) => expect(pgTimestampToIso(input)).toBe(iso));

  it.each(['yesterday', '2018-13-45T10:05:00Z', '', '1516442700000'])('refuses %j', (input) => {
    expect(() => pgTimestampToIso(input)).toThrow(BadRowError);
  });
});

describe('predictionRowToSignal', () => {
  let store: SqlStore;
  beforeAll(async () => {
    store = await memoryStore('public');
  }, 60_000);
  afterAll(() => store?.close());

  const rowOf = async (id: string) => (await store.client.query<{ r: Record<string, unknown> }>('SELECT to_jsonb(p) AS r FROM ml_predictions p WHERE id = $1', [id])).rows[0]!.r;

  it('equals toSignal of the stored record for BUY, SELL and HOLD rows', async () => {
    const written = [
      prediction({ symbol: 'LTC/BTC', candleTime: T0 }),
      prediction({ symbol: 'XLM/BTC', candleTime: T0 + 300_000, predictedDirection: 'SELL', recommendation: 'STRONG_SELL', modelVersion: 'v20261121030000-3fa9c1' }),
      prediction({ symbol: 'DASH/BTC', candleTime: T0 + 600_000, predictedDirection: 'HOLD', recommendation: 'HOLD', stopLoss: null, takeProfit: null, createdAt: T0 + 600_000 + 123 }),
    ];
    await store.insertPredictions(written);
    for (const p of written) {
      const stored = (await store.getPrediction(p.id))!;
      expect(predictionRowToSignal(await rowOf(p.id))).toEqual(toSignal(stored));
      expect(toSignal(stored)).toEqual(toSignal(p));
    }
  });

  it('applies the store\'s defaults where nullable columns are NULL', async () => {
    const p = prediction({ symbol: 'NULLS/BTC', candleTime: T0 });
    await store.insertPredictions([p]);
    await store.client.query(
      `UPDATE ml_predictions SET probabilities = NULL, recommendation = NULL, signal_weight = NULL, position_multiplier = NULL,
         risk_score = NULL, stop_loss = NULL, take_profit = NULL WHERE id = $1`,
      [p.id],
    );
    const signal = predictionRowToSignal(await rowOf(p.id));
    expect(signal).toEqual(toSignal((await store.getPrediction(p.id))!));
    expect(signal).toMatchObject({ probabilities: { BUY: 0, SELL: 0, HOLD: 0 }, recommendation: 'HOLD', signal_weight: 0, stop_loss: null });
  });

  it('refuses rows that are not predictions', async () => {
    const p = prediction({ symbol: 'BAD/BTC', candleTime: T0 });
    await store.insertPredictions([p]);
    const good = await rowOf(p.id);
    const broken: Record<string, unknown>[] = [
      { ...good, id: undefined },
      { ...good, predicted_direction: 'UP' },
      { ...good, confidence_score: 'high' },
      { ...good, candle_time: 'soon' },
      { ...good, technical_indicators: null },
    ];
    for (const row of broken) expect(() => predictionRowToSignal(row), JSON.stringify(row).slice(0, 80)).toThrow(BadRowError);
  });
});

describe('model, weight and drift rows', () => {
  const model = { model_version: 'v1', model_status: 'trained', is_active: false, accuracy: 0.61 };

  it('names the model event from the row', () => {
    expect(modelRowToUpdate('INSERT', { ...model, model_status: 'training' })).toMatchObject({ event: 'registered', version: 'v1', status: 'training' });
    expect(modelRowToUpdate('UPDATE', model)).toMatchObject({ event: 'trained', version: 'v1', accuracy: 0.61 });
    expect(modelRowToUpdate('UPDATE', { ...model, model_status: 'active', is_active: true })).toMatchObject({ event: 'activated' });
    expect(() => modelRowToUpdate('UPDATE', { model_status: 'trained' })).toThrow(BadRowError);
  });

  it('carries the weight as new_weights and the drift check\'s model as version', () => {
    expect(weightRowToUpdate({ indicator_name: 'rsi_value', current_weight: 1.25 }).new_weights).toEqual({ rsi_value: 1.25 });
    expect(() => weightRowToUpdate({ indicator_name: 'rsi_value', current_weight: 'x' })).toThrow(BadRowError);
    expect(driftRowToUpdate({ model_version: 'v1', drift_detected: true, overall_drift_score: 0.3 })).toMatchObject({ version: 'v1', drift_detected: true });
  });
});
