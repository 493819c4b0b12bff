/**
 * The Store contract: one suite, run against every adapter (tests/store/embedded.test.ts on PGlite,
 * tests/store/postgres.pg.test.ts on server Postgres). Each adapter's store is opened once per file
 * through openStore; tests use their own symbols and versions so they do not depend on each other.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { compareCursors, cursorOf } from '../../src/domain/prediction.ts';
import { toSignal } from '../../src/domain/signal.ts';
import { StoreError } from '../../src/errors.ts';
import type { SqlExecutor } from '../../src/store/sql-client.ts';
import type { Store } from '../../src/store/store.ts';
import { bigMetrics, prediction, sample, sampleCandles } from './fixtures.ts';

export interface ContractTarget {
  store: Store;
  kind: 'embedded' | 'postgres' | 'supabase';
  /** The database behind the store, for checks the port does not expose (the same one under REST). */
  sql: SqlExecutor;
  close(): Promise<void>;
}

const T0 = Date.UTC(2018, 0, 20, 10, 0); // a 5m-aligned instant inside the sample files
const MIN5 = 300_000;

export async function expectStoreError(p: Promise<unknown>, code: string): Promise<StoreError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(StoreError);
  expect((err as StoreError).code).toBe(code);
  return err as StoreError;
}

export function storeContract(label: string, open: () => Promise<ContractTarget>): void {
  describe(`Store contract: ${label}`, () => {
    let t: ContractTarget;
    let store: ContractTarget['store'];

    beforeAll(async () => {
      t = await open();
      store = t.store;
    });
    afterAll(async () => {
      await t?.close();
    });

    it('describes itself and answers a ping', async () => {
      expect(store.info.kind).toBe(t.kind);
      expect(store.info.serverVersion).toMatch(/^\d+/);
      // Real leadership among instances: advisory locks (postgres) or lease rows (supabase).
      expect(store.info.supportsLeadership).toBe(t.kind !== 'embedded');
      await expect(store.ping()).resolves.toBeUndefined();
    });

    describe('candles', () => {
      // The first 300 LTC/BTC candles of data/sample/LTC_BTC-5m.json.
      const ltc = sampleCandles('LTC_BTC-5m', 300);

      it('stores a batch once, reads it back exactly, and a replay writes nothing', async () => {
        expect(await store.upsertCandles(ltc)).toBe(300);
        expect(await store.upsertCandles(ltc)).toBe(0);
        const back = await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m' });
        expect(back).toEqual(ltc);
      });

      it('keeps prices like 0.0000123 unrounded (the plan used DECIMAL(15,5))', async () => {
        // XLM/BTC traded around 0.00005 BTC in January 2018 (data/sample/XLM_BTC-5m.json).
        const xlm = sampleCandles('XLM_BTC-5m', 20);
        const tiny = { ...xlm[0]!, openTime: xlm[0]!.openTime - 20 * MIN5, open: 0.0000123, low: 0.00001229, close: 0.00001231 };
        await store.upsertCandles([tiny, ...xlm]);
        const back = await store.readCandles({ symbol: 'XLM/BTC', timeframe: '5m', limit: 1 });
        expect(back[0]).toEqual(tiny);
        expect(xlm[3]!.close).toBeLessThan(0.0001);
        const all = await store.readCandles({ symbol: 'XLM/BTC', timeframe: '5m' });
        expect(all.slice(1)).toEqual(xlm);
      });

      it('reads ranges, the newest N oldest first, and lists series', async () => {
        const from = ltc[10]!.openTime;
        const to = ltc[19]!.openTime;
        expect(await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', from, to })).toEqual(ltc.slice(10, 20));
        expect(await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', latest: true, limit: 3 })).toEqual(ltc.slice(-3));
        const series = await store.listCandleSeries();
        expect(series.find((s) => s.symbol === 'LTC/BTC')).toEqual({
          symbol: 'LTC/BTC',
          timeframe: '5m',
          count: 300,
          firstOpenTime: ltc[0]!.openTime,
          lastOpenTime: ltc[299]!.openTime,
        });
      });

      it('lets a corrected candle replace the stored one', async () => {
        const fixed = { ...ltc[5]!, close: ltc[5]!.close * 1.001, high: ltc[5]!.high * 1.001 };
        expect(await store.upsertCandles([fixed])).toBe(1);
        const [back] = await store.readCandles({ symbol: 'LTC/BTC', timeframe: '5m', from: fixed.openTime, to: fixed.openTime });
        expect(back).toEqual(fixed);
      });

      it('prunes candles older than a cutoff', async () => {
        const dash = sampleCandles('DASH_BTC-5m', 10);
        await store.upsertCandles(dash);
        expect(await store.pruneCandles(dash[4]!.openTime)).toBeGreaterThanOrEqual(4);
        const left = await store.readCandles({ symbol: 'DASH/BTC', timeframe: '5m' });
        expect(left).toEqual(dash.slice(4));
      });
    });

    describe('predictions', () => {
      it('inserts a batch in one call; replaying it, or the same key with a new id, duplicates nothing', async () => {
        const rows = [0, 1, 2].map((i) => prediction({ symbol: 'ZEC/BTC', candleTime: T0 + i * MIN5 }));
        expect(await store.insertPredictions(rows)).toBe(3);
        expect(await store.insertPredictions(rows)).toBe(0);
        expect(await store.insertPredictions([{ ...rows[0]!, id: randomUUID() }])).toBe(0);
        const back = await store.readPredictions({ symbols: ['ZEC/BTC'] });
        expect(back).toEqual(rows);
      });

      it('round-trips every field of a signal', async () => {
        const p = prediction({
          symbol: 'ZEC/BTC',
          candleTime: T0 - 50 * MIN5,
          predictedDirection: 'SELL',
          probabilities: { BUY: 0.1, SELL: 0.8, HOLD: 0.1 },
          entryPrice: 0.0000123,
          stopLoss: null,
          takeProfit: 0.0000119,
        });
        await store.insertPredictions([p]);
        expect(await store.getPrediction(p.id)).toEqual(p);
        // By id the store answers for the market record only (a `since` cursor names a SIGNAL).
        const api = prediction({ symbol: 'ZEC/BTC', candleTime: T0 - 50 * MIN5, predictionType: 'API', requestedBy: randomUUID() });
        await store.insertPredictions([api]);
        expect(await store.getPrediction(api.id)).toBeNull();
        expect(await store.getPrediction(randomUUID())).toBeNull();
        expect(await store.getPrediction('not-a-uuid')).toBeNull();
      });

      it('refuses an epoch timestamp as processing_time_ms (the plan stored Date.now())', async () => {
        const p = prediction({ symbol: 'ZEC/BTC', candleTime: T0 - 60 * MIN5, processingTimeMs: Date.now() });
        await expectStoreError(store.insertPredictions([p]), 'STORE_CONSTRAINT');
      });

      it('reads in stream order (compareCursors), pages after a cursor, filters by time and symbol', async () => {
        // Same candle time, symbols whose byte order differs from a natural-language collation:
        // 'BTC/USDT' < 'BTCST/USDT' because '/' (0x2F) < 'S' (0x53).
        const t = T0 + 1000 * MIN5;
        const rows = [
          prediction({ symbol: 'BTCST/USDT', candleTime: t }),
          prediction({ symbol: 'BTC/USDT', candleTime: t }),
          prediction({ symbol: 'BTC/USDT', candleTime: t, timeframe: '15m' }),
          prediction({ symbol: 'BTC/USDT', candleTime: t, modelVersion: 'v20261121030000-3fa9c1' }),
          prediction({ symbol: 'BTC/USDT', candleTime: t + MIN5 }),
        ];
        await store.insertPredictions(rows);
        const expected = [...rows].sort((a, b) => compareCursors(cursorOf(a), cursorOf(b)));
        const symbols = ['BTC/USDT', 'BTCST/USDT'];
        const all = await store.readPredictions({ symbols });
        expect(all.map((r) => r.id)).toEqual(expected.map((r) => r.id));

        const page1 = await store.readPredictions({ symbols, limit: 2 });
        const page2 = await store.readPredictions({ symbols, limit: 2, after: cursorOf(page1[1]!) });
        const page3 = await store.readPredictions({ symbols, limit: 2, after: cursorOf(page2[1]!) });
        expect([...page1, ...page2, ...page3].map((r) => r.id)).toEqual(expected.map((r) => r.id));

        const later = await store.readPredictions({ symbols, afterTime: t });
        expect(later.map((r) => r.id)).toEqual([rows[4]!.id]);
        const onlyBtcst = await store.readPredictions({ symbols: ['BTCST/USDT'] });
        expect(onlyBtcst.map((r) => r.id)).toEqual([rows[0]!.id]);
      });

      it('lists open predictions and resolves each once', async () => {
        const buy = prediction({ symbol: 'OPEN/BTC', candleTime: T0 });
        const hold = prediction({ symbol: 'OPEN/BTC', candleTime: T0 + MIN5, predictedDirection: 'HOLD', recommendation: 'HOLD' });
        await store.insertPredictions([buy, hold]);
        const open = (await store.openPredictions()).filter((p) => p.symbol === 'OPEN/BTC');
        expect(open.map((p) => p.id)).toEqual([buy.id, hold.id]);

        const outcome = { predictionId: buy.id, outcome: 'TP_HIT' as const, exitPrice: 0.0173, profitLossPct: 2.17, outcomeTime: T0 + 7 * MIN5 };
        expect(await store.resolvePredictions([outcome])).toBe(1);
        expect(await store.resolvePredictions([outcome])).toBe(0);
        expect(await store.resolvePredictions([{ ...outcome, outcome: 'SL_HIT' }])).toBe(0);
        const back = await store.getPrediction(buy.id);
        expect(back).toMatchObject({ actualOutcome: 'TP_HIT', exitPrice: 0.0173, actualProfitLoss: 2.17, outcomeTime: T0 + 7 * MIN5 });
        const stillOpen = (await store.openPredictions()).filter((p) => p.symbol === 'OPEN/BTC');
        expect(stillOpen.map((p) => p.id)).toEqual([hold.id]);
      });
    });

    it('keeps each signal\'s market session in its own column, and reads it back on the record', async () => {
      const forex = prediction({ symbol: 'EUR/USD', candleTime: T0 + 400 * MIN5, marketConditions: { session: 'london_new_york', trend: 'up' } });
      const crypto = prediction({ symbol: 'SES/BTC', candleTime: T0 + 400 * MIN5, marketConditions: { session: '24h' } });
      const none = prediction({ symbol: 'SES/BTC', candleTime: T0 + 401 * MIN5, marketConditions: null });
      expect(await store.insertPredictions([forex, crypto, none])).toBe(3);
      const { rows } = await t.sql.query<{ id: string; market_session: string | null }>(
        `SELECT id, market_session FROM "${store.info.schema}".ml_predictions WHERE id = ANY($1::uuid[])`,
        [[forex.id, crypto.id, none.id]],
      );
      expect(Object.fromEntries(rows.map((r) => [r.id, r.market_session]))).toEqual({ [forex.id]: 'london_new_york', [crypto.id]: '24h', [none.id]: null });
      expect(toSignal((await store.getPrediction(forex.id))!).market_session).toBe('london_new_york');
      expect(toSignal((await store.getPrediction(none.id))!).market_session).toBeNull();
    });

    it('stores training samples once per prediction', async () => {
      const before = await store.countTrainingSamples();
      const rows = [sample(), sample({ signalType: 'SELL', status: 'SL_HIT', actualResult: 'SL_HIT', profitLoss: -1.6 })];
      expect(await store.insertTrainingSamples(rows)).toBe(2);
      expect(await store.insertTrainingSamples(rows)).toBe(0);
      expect(await store.countTrainingSamples()).toBe(before + 2);
      const { rows: stored } = await t.sql.query<{ mfi_value: number; adx_value: number | null }>(
        `SELECT mfi_value, adx_value FROM "${store.info.schema}".ml_training_samples WHERE prediction_id = $1`,
        [rows[0]!.predictionId],
      );
      // fixtures.ts indicators(5): mfi_value = 0.0000123 * 5, adx_value still warming up.
      expect(stored[0]).toEqual({ mfi_value: 0.0000123 * 5, adx_value: null });
    });

    describe('models', () => {
      it('creates, updates with unbounded ratios, and refuses a duplicate version', async () => {
        const m = await store.createModel({ version: 'v-contract-a', seed: 42, backend: 'cpu', metadata: { T: 60 } });
        expect(m).toMatchObject({ version: 'v-contract-a', status: 'training', isActive: false, seed: 42, backend: 'cpu', metrics: null });
        await expectStoreError(store.createModel({ version: 'v-contract-a' }), 'STORE_CONSTRAINT');

        const metrics = bigMetrics({ profitFactor: Number.POSITIVE_INFINITY });
        const sha = createHash('sha256').update('weights').digest('hex');
        const u = await store.updateModel('v-contract-a', {
          status: 'trained',
          metrics,
          weightsSha256: sha,
          trainingDurationMs: 1234.5,
          featureImportance: { rsi_value: 0.3 },
          statusReason: 'beat the always-HOLD baseline',
        });
        expect(u.metrics).toEqual(metrics);
        expect(u).toMatchObject({ status: 'trained', weightsSha256: sha, trainingDurationMs: 1234.5, statusReason: 'beat the always-HOLD baseline' });
        expect(await store.getModel('v-contract-a')).toEqual(u);
        expect(await store.getModel('v-missing')).toBeNull();
        await expectStoreError(store.updateModel('v-missing', { status: 'failed' }), 'STORE_NOT_FOUND');
      });

      it('keeps exactly one active model and retires the previous one', async () => {
        await store.createModel({ version: 'v-contract-b' });
        await store.updateModel('v-contract-b', { status: 'trained' });
        await store.createModel({ version: 'v-contract-c' });
        await store.updateModel('v-contract-c', { status: 'trained' });

        const b = await store.activateModel('v-contract-b');
        expect(b).toMatchObject({ isActive: true, status: 'active' });
        expect(b.activatedAt).not.toBeNull();
        const c = await store.activateModel('v-contract-c');
        expect(c.isActive).toBe(true);
        expect((await store.getModel('v-contract-b'))!.status).toBe('retired');
        expect((await store.activeModel())!.version).toBe('v-contract-c');
        expect((await store.listModels()).filter((m) => m.isActive).map((m) => m.version)).toEqual(['v-contract-c']);
        // idempotent
        expect((await store.activateModel('v-contract-c')).version).toBe('v-contract-c');
        // rollback: a retired model can come back
        expect((await store.activateModel('v-contract-b')).isActive).toBe(true);

        await store.createModel({ version: 'v-contract-training' });
        await expectStoreError(store.activateModel('v-contract-training'), 'STORE_INVALID');
        await expectStoreError(store.activateModel('v-nope'), 'STORE_NOT_FOUND');
        await expectStoreError(store.updateModel('v-contract-c', { status: 'active' }), 'STORE_INVALID');
      });

      it('stores artifacts byte for byte and refuses a checksum that does not match', async () => {
        await store.createModel({ version: 'v-contract-art' });
        const bytes = new Uint8Array(4096).map((_, i) => (i * 31) % 256);
        const sha = createHash('sha256').update(bytes).digest('hex');
        const modelJson = new TextEncoder().encode('{"format":"layers-model"}');
        const rows = [
          { modelVersion: 'v-contract-art', name: 'weights.bin', contentType: 'application/octet-stream', bytes, sha256: sha },
          {
            modelVersion: 'v-contract-art',
            name: 'model.json',
            contentType: 'application/json',
            bytes: modelJson,
            sha256: createHash('sha256').update(modelJson).digest('hex'),
          },
        ];
        await store.putArtifacts(rows);
        await store.putArtifacts(rows); // replay replaces, never duplicates
        const back = await store.getArtifacts('v-contract-art');
        expect(back.map((a) => a.name)).toEqual(['model.json', 'weights.bin']);
        expect(Buffer.from(back[1]!.bytes).equals(Buffer.from(bytes))).toBe(true);
        expect(back[1]!.sha256).toBe(sha);
        await expectStoreError(store.putArtifacts([{ ...rows[0]!, name: 'bad.bin', sha256: '0'.repeat(64) }]), 'STORE_CONSTRAINT');
      });
    });

    describe('weights and performance', () => {
      it('starts with the 17 indicators at 1.0, in column order', async () => {
        const w = await store.getWeights();
        expect(w.map((x) => x.name)).toEqual([...INDICATOR_COLUMNS]);
        expect(w.every((x) => x.currentWeight === 1 && x.minWeight === 0.1 && x.maxWeight === 2)).toBe(true);
      });

      it('sets weights clamped to their bounds, counts changes, and changes nothing on an unknown name', async () => {
        const before = await store.getWeights();
        const w = await store.setWeights({ rsi_value: 1.37, adx_value: 5 });
        const rsi = w.find((x) => x.name === 'rsi_value')!;
        expect(rsi.currentWeight).toBe(1.37);
        expect(rsi.updateCount).toBe(before.find((x) => x.name === 'rsi_value')!.updateCount + 1);
        expect(w.find((x) => x.name === 'adx_value')!.currentWeight).toBe(2); // max_weight
        await expectStoreError(store.setWeights({ rsi_value: 0.5, not_an_indicator: 1 }), 'STORE_INVALID');
        expect((await store.getWeights()).find((x) => x.name === 'rsi_value')!.currentWeight).toBe(1.37);
        await expectStoreError(store.setWeights({ rsi_value: Number.NaN }), 'STORE_INVALID');
      });

      it('keeps one performance report per model and evaluation, with ratios the plan could not hold', async () => {
        const row = { modelVersion: 'v-perf', trainingSamplesCount: 900, validationSamplesCount: 100, metrics: bigMetrics() };
        await store.insertPerformance(row);
        await store.insertPerformance({ ...row, metrics: bigMetrics({ sharpe: 15.5 }), weightChanges: { rsi_value: 0.05 } });
        await store.insertPerformance({ ...row, evaluation: 'baseline_hold', metrics: bigMetrics({ profitFactor: 0 }) });
        const { rows } = await t.sql.query<{ evaluation: string; sharpe_ratio: number; profit_factor: number; calmar_ratio: number }>(
          `SELECT evaluation, sharpe_ratio, profit_factor, calmar_ratio FROM "${store.info.schema}".ml_model_performance
           WHERE model_version = 'v-perf' ORDER BY evaluation`,
        );
        expect(rows).toEqual([
          { evaluation: 'baseline_hold', sharpe_ratio: 12.345678, profit_factor: 0, calmar_ratio: 1234.5 },
          { evaluation: 'test', sharpe_ratio: 15.5, profit_factor: 1500.25, calmar_ratio: 1234.5 },
        ]);
      });
    });

    it('records drift checks and lists them newest first', async () => {
      const base = {
        modelVersion: 'v-drift',
        dataDriftScore: 0.31,
        predictionDriftScore: 0.05,
        performanceDriftScore: null,
        overallDriftScore: 0.31,
        featureDriftDetails: { rsi_value: { psi: 0.31 } },
        driftDetected: true,
        actionTaken: 'retrain_requested',
        retrainingTriggered: true,
        thresholds: { psi: 0.2, ks_alpha: 0.05 },
        status: 'drift' as const,
      };
      const first = await store.insertDrift({ ...base, createdAt: Date.UTC(2026, 0, 1) });
      const second = await store.insertDrift({ ...base, driftDetected: false, status: 'ok', createdAt: Date.UTC(2026, 0, 2) });
      const listed = (await store.listDrift(50)).filter((d) => d.modelVersion === 'v-drift');
      expect(listed.map((d) => d.id)).toEqual([second, first]);
      expect(listed[1]).toMatchObject({ ...base, id: first, createdAt: Date.UTC(2026, 0, 1) });
    });

    describe('retrain queue', () => {
      it('claims oldest first, each request by one claimer only, and finishes idempotently', async () => {
        const a = await store.enqueueRetrain({ source: 'cli', reason: 'first', force: true });
        const b = await store.enqueueRetrain({ source: 'cron' });
        const c = await store.enqueueRetrain({ source: 'drift', reason: 'psi 0.31' });
        expect(a).toMatchObject({ status: 'PENDING', force: true, reason: 'first', claimedBy: null });

        const first = await store.claimRetrain('worker-1');
        expect(first).toMatchObject({ id: a.id, status: 'RUNNING', claimedBy: 'worker-1' });
        // Four claimers race for the two left: each request goes to exactly one of them.
        const claims = await Promise.all(['w2', 'w3', 'w4', 'w5'].map((w) => store.claimRetrain(w)));
        const got = claims.filter((x) => x !== null).map((x) => x!.id);
        expect(got.sort()).toEqual([b.id, c.id].sort());
        expect(await store.claimRetrain('w6')).toBeNull();

        const done = await store.finishRetrain(a.id, { status: 'DONE', modelVersion: 'v-contract-c' });
        expect(done).toMatchObject({ status: 'DONE', modelVersion: 'v-contract-c' });
        expect(done.finishedAt).not.toBeNull();
        const again = await store.finishRetrain(a.id, { status: 'FAILED', error: 'late retry' });
        expect(again).toEqual(done);
        expect(await store.getRetrain(a.id)).toEqual(done);
        await expectStoreError(store.finishRetrain(randomUUID(), { status: 'DONE' }), 'STORE_NOT_FOUND');
        const listed = await store.listRetrains(3);
        expect(listed.map((r) => r.id)).toEqual([c.id, b.id, a.id]);
      });
    });

    describe('API keys', () => {
      it('creates a key shown once, validates it, counts uses, and refuses it once revoked', async () => {
        const k = await store.createApiKey({ name: 'contract', type: 'stream', rateLimitPerHour: 60 });
        expect(k.key).toMatch(/^sb_[0-9a-f]{64}$/);
        expect(k).toMatchObject({ name: 'contract', type: 'stream', rateLimitPerHour: 60, expiresAt: null });

        const v1 = await store.validateApiKey(k.key);
        expect(v1).toEqual({ isValid: true, keyId: k.id, keyName: 'contract', keyType: 'stream', rateLimit: 60, usageCount: 1 });
        expect((await store.validateApiKey(k.key)).usageCount).toBe(2);

        const listed = (await store.listApiKeys()).find((x) => x.id === k.id)!;
        expect(listed).toMatchObject({ prefix: k.key.slice(0, 7), usageCount: 2, isActive: true });
        expect(listed.lastUsedAt).not.toBeNull();
        expect(JSON.stringify(listed)).not.toContain(k.key.slice(7));

        expect(await store.revokeApiKey(k.id)).toBe(true);
        expect(await store.revokeApiKey(k.id)).toBe(false);
        expect(await store.revokeApiKey('nope')).toBe(false);
        const refused = { isValid: false, keyId: null, keyName: null, keyType: null, rateLimit: null, usageCount: null };
        expect(await store.validateApiKey(k.key)).toEqual(refused);
        expect(await store.validateApiKey(`sb_${'0'.repeat(64)}`)).toEqual(refused);
      });

      it('sets an expiry from expiresInDays', async () => {
        const before = Date.now();
        const k = await store.createApiKey({ name: 'expiring', type: 'prediction', expiresInDays: 30 });
        expect(k.expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400_000 - 60_000);
        expect(k.expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000 + 60_000);
        expect((await store.validateApiKey(k.key)).isValid).toBe(true);
      });
    });

    it('logs generation batches once per batch id and answers the dashboard', async () => {
      const log = { batchId: `batch-${randomUUID()}`, generationStrategy: 'LIVE', symbolsCount: 4, totalSignalsGenerated: 4, status: 'COMPLETED' };
      await store.insertGenerationLog(log);
      await store.insertGenerationLog(log);
      const { rows } = await t.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "${store.info.schema}".ml_generation_logs WHERE batch_id = $1`,
        [log.batchId],
      );
      expect(rows[0]!.n).toBe(1);
      const d = await store.dashboard();
      expect(d).toMatchObject({ active_indicators: 17, active_model_version: 'v-contract-b' });
      expect(typeof d.total_models).toBe('number');
    });

    it('grants leadership (embedded: always; postgres and supabase: to one holder at a time)', async () => {
      const lease = await store.tryAcquireLeadership('contract');
      expect(lease).not.toBeNull();
      if (t.kind !== 'embedded') expect(await store.tryAcquireLeadership('contract')).toBeNull();
      await lease!.release();
      await lease!.lost; // a released lease counts as ended
      const again = await store.tryAcquireLeadership('contract');
      expect(again).not.toBeNull();
      await again!.release();
    });
  });
}
