/**
 * The training job end to end on a real (in-memory PGlite) store with small synthetic candles and a
 * tiny network (T = 8, 4 units): status transitions, what lands in ml_models, ml_model_performance,
 * ml_model_artifacts and ml_indicator_weights, determinism, cancellation and bad input.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { uniformWeights } from '../../src/features/weights.ts';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { initBackend } from '../../src/model/backend.ts';
import { classOf } from '../../src/model/classes.ts';
import { DatasetError, TrainingCancelledError } from '../../src/model/errors.ts';
import { promotionGate } from '../../src/model/gate.ts';
import { THRESHOLD_GRID, selectionFromMetadata } from '../../src/model/selective.ts';
import { liveTrainingWorkers } from '../../src/model/trainer.ts';
import { runTrainingJob, type TrainingJobOptions } from '../../src/model/training-job.ts';
import { buildTrainingSet, type SeriesCandles } from '../../src/model/training-set.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { ModelStatus } from '../../src/store/types.ts';
import { memoryStore, silentLogger, testConfig } from '../helpers/pg.ts';
import { SMALL_TRAINING } from './synthetic.ts';

const config = testConfig({ TFJS_BACKEND: 'wasm' });
const log = silentLogger();
const SMALL = SMALL_TRAINING;
const candles = syntheticSeries({ seed: 3, symbols: 2, timeframe: '5m', vol: 0.003, candles: 700, start: Date.UTC(2024, 0, 1) });
const asSeries = (cs: typeof candles): SeriesCandles[] => cs.map((c) => ({ symbol: c[0]!.symbol, timeframe: '5m', candles: c }));
let store: SqlStore;
let firstVersion = '';

beforeAll(async () => {
  await initBackend('wasm');
  store = await memoryStore();
  for (const s of candles) await store.upsertCandles(s);
});
afterAll(async () => {
  await store?.close();
});

const perfRows = async (version: string) =>
  (
    await store.client.query<Record<string, unknown>>(
      'SELECT * FROM ml_model_performance WHERE model_version = $1 ORDER BY evaluation',
      [version],
    )
  ).rows;

/** The failure a job ends with (it must fail). */
async function failure(opts: TrainingJobOptions, cfg = config) {
  const err = await runTrainingJob({ store, config: cfg, log }, { ...SMALL, ...opts }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).not.toBeNull();
  return err as Error & { code: string; context: Record<string, unknown> };
}

describe('runTrainingJob', () => {
  it('trains, evaluates beside both baselines, gates and records everything', async () => {
    const weightsBefore = await store.getWeights();
    let statusWhileTraining: Promise<ModelStatus[]> | undefined;
    const r = await runTrainingJob(
      { store, config, log },
      {
        ...SMALL,
        seed: 1,
        onProgress: (p) => {
          if (p.kind === 'phase' && p.phase === 'training') statusWhileTraining = store.listModels().then((ms) => ms.map((m) => m.status));
        },
      },
    );
    firstVersion = r.version;
    expect(await statusWhileTraining).toEqual(['training']);
    const rec = (await store.getModel(r.version))!;
    expect(rec.status).toBe(r.gate.pass ? 'active' : 'trained');
    expect(rec.statusReason).toBe(r.gate.reason);
    expect(rec.seed).toBe(1);
    expect(rec.backend).toBe('wasm');
    expect(rec.weightsSha256).toBe(r.weightsSha256);
    expect(rec.trainingSamplesCount).toBe(r.summary.samples.train);
    expect(r.version).toMatch(/^v\d{14}-[0-9a-f]{6}$/);

    // The same split, rebuilt from the same candles: always-HOLD's accuracy is the test window's HOLD share.
    const set = buildTrainingSet(asSeries(candles), { features: [...INDICATOR_COLUMNS], barrier: config.barrier, weights: uniformWeights(), timesteps: 8, split: SMALL.split });
    const testLabels = Array.from(set.split.test, (s) => classOf(set.dataset.labels[s]!));
    expect(r.summary.samples.test).toBe(testLabels.length);
    expect(r.baselines.alwaysHold.accuracy).toBe(testLabels.filter((l) => l === 'HOLD').length / testLabels.length);
    expect(r.baselines.alwaysHold.trades).toBe(0);

    // ml_model_performance: the model and both baselines, with the numbers the gate saw.
    const rows = await perfRows(r.version);
    expect(rows.map((x) => x.evaluation)).toEqual(['baseline_hold', 'baseline_rules', 'test']);
    const [hold, rules, test] = rows as [Record<string, number>, Record<string, number>, Record<string, unknown>];
    expect(test.f1_score).toBe(r.metrics.f1Macro);
    expect(rules.trades_count).toBe(r.baselines.rules.trades);
    // No model is active, so what serves is the rule consensus: the gate compares with its profit factor.
    const incumbent = { version: 'rules', profitFactor: rules.profit_factor! };
    expect(
      promotionGate({ candidate: { f1Macro: test.f1_score as number, profitFactor: test.profit_factor as number }, alwaysHold: { f1Macro: hold.f1_score! }, incumbent, expectancy: r.quality.expectancy }),
    ).toEqual(r.gate);
    expect(r.gate.reason).toContain("the rule consensus's (serving, no active model)");
    if (r.metrics.profitFactor < r.baselines.rules.profitFactor || !(r.quality.expectancy.lower > 0)) expect(r.gate.pass).toBe(false);
    expect(r.quality.expectancy.trades).toBe(r.metrics.trades);
    for (const v of Object.values(r.metrics)) expect(Number.isNaN(v)).toBe(false);
    expect(r.metrics.accuracy).toBeGreaterThanOrEqual(0);
    expect(r.metrics.accuracy).toBeLessThanOrEqual(1);

    // Weights stepped toward the importance, bounded, recorded and stored.
    const importance = test.feature_importance as Record<string, number>;
    expect(Object.keys(importance).sort()).toEqual([...INDICATOR_COLUMNS].sort());
    const changes = test.weight_changes as Record<string, number>;
    const next = test.new_weights as Record<string, number>;
    const after = new Map((await store.getWeights()).map((w) => [w.name, w.currentWeight]));
    for (const w of weightsBefore) {
      expect((test.previous_weights as Record<string, number>)[w.name]).toBe(w.currentWeight);
      expect(Math.abs(changes[w.name]!)).toBeLessThanOrEqual(0.1 + 1e-12);
      expect(after.get(w.name)).toBeCloseTo(next[w.name]!, 12);
    }
    expect(Object.values(changes).some((c) => c !== 0)).toBe(true);

    // Artifacts: the three tfjs blobs and model.onnx; metadata with features, scaler, snapshot, barrier,
    // drift reference and the ONNX export's record (sha256 of model.onnx, checked on every test window).
    const blobs = await store.getArtifacts(r.version);
    expect(blobs.map((b) => b.name)).toEqual(['metadata.json', 'model.json', 'model.onnx', 'weights.bin']);
    const meta = JSON.parse(new TextDecoder().decode(blobs[0]!.bytes));
    expect(meta.extra.onnx).toMatchObject({ sha256: blobs[2]!.sha256, opset: 17, check: { source: 'test_window', windows: r.summary.samples.test, decisionsDiffering: 0 } });
    expect(meta.extra.onnx.check.maxAbsDiff).toBeLessThanOrEqual(1e-5);
    expect(meta).toMatchObject({ features: [...INDICATOR_COLUMNS], timesteps: 8, seed: 1, backend: 'wasm', barrier: config.barrier, weightsSha256: r.weightsSha256 });
    expect(Object.values(meta.weightSnapshot)).toEqual(weightsBefore.map((w) => w.currentWeight));
    const drift = meta.extra.driftReference;
    for (const f of INDICATOR_COLUMNS) {
      const edges = drift.features.edges[f] as number[];
      expect(edges).toHaveLength(11);
      expect([...edges].sort((a, b) => a - b)).toEqual(edges);
      expect(drift.features.samples[f].length).toBeGreaterThan(0);
    }
    const mix = drift.predictions.classMix;
    expect(mix.BUY + mix.SELL + mix.HOLD).toBeCloseTo(1, 12);
    expect(drift.predictions.samples).toBe(r.summary.samples.test);
    // The selective rule chosen on validation travels in the artifact, and the policy reads it back.
    expect(THRESHOLD_GRID).toContain(meta.extra.selection.threshold);
    expect(meta.extra.selection.fittedOn).toBe('validation');
    expect(selectionFromMetadata(meta.extra)).toEqual({ temperature: r.quality.selection.temperature, threshold: r.quality.selection.threshold });
    expect(meta.extra.calibration.test.samples).toBe(r.summary.samples.test);
  });

  it('is reproducible: the same seed gives the same weights hash, another seed another', async () => {
    // updateWeights: false, so all three runs see the same weight snapshot.
    const run = (seed: number) => runTrainingJob({ store, config, log }, { ...SMALL, seed, updateWeights: false });
    const a = await run(7);
    const b = await run(7);
    const c = await run(8);
    expect(b.weightsSha256).toBe(a.weightsSha256);
    expect(b.metrics).toEqual(a.metrics);
    expect(b.importance.importance).toEqual(a.importance.importance);
    expect(c.weightsSha256).not.toBe(a.weightsSha256);
    expect(a.version).not.toBe(b.version);
    // Each job released its model worker (evaluation and importance ran there).
    expect(liveTrainingWorkers()).toBe(0);
  });

  it('cancelled after the fit: recorded cancelled, the model worker released', async () => {
    const active = (await store.activeModel()) ?? (await store.activateModel(firstVersion));
    const ac = new AbortController();
    const phases: string[] = [];
    const err = await failure({
      signal: ac.signal,
      onProgress: (p) => {
        if (p.kind !== 'phase') return;
        phases.push(p.phase);
        // Aborted while the worker predicts the test windows (or, on a fast machine, right after).
        if (p.phase === 'evaluation') setImmediate(() => ac.abort());
      },
    });
    expect(err).toBeInstanceOf(TrainingCancelledError);
    expect(phases).not.toContain('saving');
    expect(await store.getModel(err.context.version as string)).toMatchObject({ status: 'failed', statusReason: 'cancelled' });
    expect((await store.activeModel())?.version).toBe(active.version);
    expect(liveTrainingWorkers()).toBe(0);
  });

  it('cancelled: recorded failed with reason "cancelled"; the active model stays active', async () => {
    const active = (await store.activeModel()) ?? (await store.activateModel(firstVersion));
    const ac = new AbortController();
    const err = await failure({
      signal: ac.signal,
      hyper: { units: 4, maxEpochs: 50, patience: 50, batchSize: 16 },
      onProgress: (p) => {
        if (p.kind === 'batch' && p.batch === 2) ac.abort();
      },
    });
    expect(err).toBeInstanceOf(TrainingCancelledError);
    const rec = (await store.getModel(err.context.version as string))!;
    expect(rec).toMatchObject({ status: 'failed', statusReason: 'cancelled', isActive: false });
    expect((await store.activeModel())?.version).toBe(active.version);
  });

  it.each([
    ['too little history', 'DATASET_TOO_SMALL', { candles: asSeries(candles.map((c) => c.slice(0, 150))) }, config],
    ['a single class in the labels', 'DATASET_SINGLE_CLASS', {}, testConfig({ TFJS_BACKEND: 'wasm', TP_ATR_MULT: '80', SL_ATR_MULT: '80' })],
    ['NaN in the features', 'DATASET_NAN', { candles: asSeries(candles.map((c) => c.map((k, i) => (i === 400 ? { ...k, volume: Number.NaN } : k)))) }, config],
  ] as const)('%s: a clear typed error, the run recorded failed with it, the active model untouched', async (_name, code, opts, cfg) => {
    const active = (await store.activeModel()) ?? (await store.activateModel(firstVersion));
    const err = await failure(opts as TrainingJobOptions, cfg);
    expect(err).toBeInstanceOf(DatasetError);
    expect(err.code).toBe(code);
    const rec = (await store.getModel(err.context.version as string))!;
    expect(rec.status).toBe('failed');
    expect(rec.statusReason).toBe(`${code}: ${err.message}`);
    expect((await store.activeModel())?.version).toBe(active.version);
    expect(await store.getArtifacts(rec.version)).toEqual([]);
  });
});
