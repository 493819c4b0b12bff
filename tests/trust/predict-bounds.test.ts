/**
 * Issue 13 item 2: caller candles are bounded work. The real PipelineApi (rule consensus over a
 * fresh SymbolFeatureState) behind the real HTTP server, real sockets, real Binance candles from
 * data/sample:
 *  - more than the warm-up plus one model window is a 413 with a message naming the bound;
 *  - 100 concurrent max-size predicts of one key: at most the gate's 2 run at once, 16 wait, the
 *    rest are refused with 429 + Retry-After, and /healthz, asked while they run, is answered
 *    before the last of them (ordering, not a wall-clock margin);
 *  - the answer over caller candles is an API row with an id of its own and the calling key.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ComputeGate } from '../../src/daemon/compute-gate.ts';
import { PipelineApi } from '../../src/daemon/api.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { systemClock } from '../../src/domain/clock.ts';
import { SignalEngine } from '../../src/signals/engine.ts';
import { predictionId } from '../../src/signals/prediction-id.ts';
import type { Signal } from '../../src/domain/signal.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import { silentLogger, startServer, type Harness } from '../serve/helpers.ts';

const WINDOW = 60;
const MAX = IndicatorSet.WARMUP_CANDLES + WINDOW;
const rows = (JSON.parse(readFileSync(new URL('../../data/sample/LTC_BTC-5m.json', import.meta.url), 'utf8')) as number[][]).map((r) => r.slice(0, 6));

let h: Harness | undefined;
afterEach(async () => {
  await h?.api.stop();
  h = undefined;
});

async function harness(gate: ComputeGate, logged: PredictionRecord[]): Promise<{ h: Harness; key: string }> {
  const engine = new SignalEngine({ barrier: loadConfig({ LOG_LEVEL: 'silent' }).barrier, weights: uniformWeights(), clock: systemClock, log: silentLogger(), windowSize: WINDOW });
  const api = new PipelineApi({
    view: {
      series: () => null,
      timeframes: new Map([['LTC/BTC', '5m']]),
      model: () => null,
      weights: () => uniformWeights(),
      signal: (state, timeframe) => engine.signalFor(state, timeframe, 'API'),
    },
    writer: () => ({ insertPredictions: (rs: readonly PredictionRecord[]) => logged.push(...rs) }) as never,
    clock: systemClock,
    windowSize: WINDOW,
    log: silentLogger(),
    gate,
  });
  h = await startServer({ predict: (symbol, candles, caller) => api.predict(symbol, candles, caller) });
  return { h, key: h.keys.add('predictor', 'prediction', null) };
}

const post = (base: string, key: string, candles: number[][]) =>
  fetch(`${base}/v1/predict`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ symbol: 'LTC/BTC', candles }),
  });

describe('POST /v1/predict with caller candles', () => {
  it('refuses more than warm-up plus one window with 413, and answers with an API row of its own', async () => {
    const logged: PredictionRecord[] = [];
    const { h, key } = await harness(new ComputeGate({ perKey: 2, total: 4, queuePerKey: 16 }), logged);
    // The 5,000 candles do not even fit the body limit (refused while reading, before parsing).
    const huge = await post(h.base, key, rows.slice(0, 5_000));
    expect(huge.status).toBe(413);
    expect(((await huge.json()) as { error: { code: string } }).error.code).toBe('PAYLOAD_TOO_LARGE');
    for (const n of [MAX + 1, 1_000]) {
      const big = await post(h.base, key, rows.slice(0, n));
      expect(big.status).toBe(413);
      const err = ((await big.json()) as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('TOO_MANY_CANDLES');
      expect(err.message).toContain(`at most ${MAX}`);
    }

    const ok = await post(h.base, key, rows.slice(0, MAX));
    expect(ok.status).toBe(200);
    const s = (await ok.json()) as Signal;
    expect(s.id).not.toBe(predictionId('LTC/BTC', '5m', rows[MAX - 1]![0]!, 'rules'));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatchObject({ id: s.id, predictionType: 'API', apiKeyId: null });
  });

  it('100 concurrent max-size predicts of one key: bounded, the rest 429, /healthz answered before the last', async () => {
    const gate = new ComputeGate({ perKey: 2, total: 4, queuePerKey: 16 });
    const { h, key } = await harness(gate, []);
    const candles = rows.slice(0, MAX);
    let peak = 0;
    const order: string[] = [];
    const predicts = Array.from({ length: 100 }, () =>
      post(h.base, key, candles).then(async (r) => {
        peak = Math.max(peak, gate.running);
        order.push(`predict ${r.status}`);
        if (r.status === 429) expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
        await r.arrayBuffer();
        return r.status;
      }),
    );
    await vi.waitFor(() => expect(gate.running).toBeGreaterThan(0), { interval: 1 });
    const health = fetch(`${h.base}/healthz`).then((r) => {
      order.push(`healthz ${r.status}`);
      return r.status;
    });
    const statuses = await Promise.all(predicts);
    expect(await health).toBe(200);
    expect(peak).toBeLessThanOrEqual(2);
    const done = statuses.filter((s) => s === 200).length;
    expect(done).toBeGreaterThanOrEqual(2);
    expect(done).toBeLessThan(100);
    expect(statuses.filter((s) => s === 429).length).toBe(100 - done);
    // /healthz, asked while candle computations were running, did not wait for all of them.
    expect(order.indexOf('healthz 200')).toBeLessThan(order.lastIndexOf('predict 200'));
  });
});
