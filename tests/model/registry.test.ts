/**
 * The registry with real trained models in an in-memory PGlite store: the promotion gate refusing a
 * deliberately worse model, the --activate override, rollback, activation rules, the artifact round
 * trip through the store, and the FEATURES check when the active model is loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { sha256Hex } from '../../src/model/artifact.ts';
import { initBackend } from '../../src/model/backend.ts';
import { ArtifactError } from '../../src/model/errors.ts';
import { weightsSha256 } from '../../src/model/lstm.ts';
import { servingRuntime } from '../../src/model/onnx/serving.ts';
import { activateVersion, loadActiveModel, loadModelVersion, RegistryError, rollbackModel } from '../../src/model/registry.ts';
import { scoreModel } from '../../src/model/training-eval.ts';
import { runTrainingJob, type TrainingJobOptions, type TrainingJobResult } from '../../src/model/training-job.ts';
import { buildTrainingSet } from '../../src/model/training-set.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { memoryStore, silentLogger, testConfig } from '../helpers/pg.ts';
import { SMALL_TRAINING } from './synthetic.ts';

const config = testConfig({ TFJS_BACKEND: 'wasm' });
const log = silentLogger();
const SMALL = SMALL_TRAINING;
/** Trains on HOLD labels only (zero weight on BUY and SELL): a model that never trades. */
const HOLD_ONLY: TrainingJobOptions = { ...SMALL, classWeights: [0, 0, 1], hyper: { units: 4, maxEpochs: 3, batchSize: 64, learningRate: 0.05 } };
const candles = syntheticSeries({ seed: 5, symbols: 2, timeframe: '5m', vol: 0.003, candles: 700, start: Date.UTC(2024, 0, 1) });

let store: SqlStore;
let a: TrainingJobResult;
let b: TrainingJobResult;

async function rejection(p: Promise<unknown>): Promise<Error & { code: string; context: Record<string, unknown> }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).not.toBeNull();
  return err as Error & { code: string; context: Record<string, unknown> };
}

beforeAll(async () => {
  await initBackend('wasm');
  store = await memoryStore();
  for (const s of candles) await store.upsertCandles(s);
  a = await runTrainingJob({ store, config, log }, { ...SMALL, seed: 1, activate: true });
});
afterAll(async () => {
  await store?.close();
});

describe('model registry', () => {
  it('the gate refuses a model that cannot beat always-HOLD, records why, and the active model keeps serving', async () => {
    b = await runTrainingJob({ store, config, log }, { ...HOLD_ONLY, seed: 2 });
    // The scenario holds: it predicted HOLD everywhere, so it scores exactly as the baseline.
    expect(b.metrics.trades).toBe(0);
    expect(b.metrics).toEqual(b.baselines.alwaysHold);
    expect(b.gate.pass).toBe(false);
    expect(b.gate.reason).toContain('does not beat always-HOLD');
    expect(b.gate.reason).toContain(`< active model ${a.version}'s`);
    expect(b.status).toBe('trained');
    expect(await store.getModel(b.version)).toMatchObject({ status: 'trained', isActive: false, statusReason: b.gate.reason });
    expect((await store.activeModel())?.version).toBe(a.version);
    // The active model was scored on the same test window, through its stored artifact: the same
    // figures it recorded for itself.
    expect(b.active).toMatchObject({ version: a.version, error: null, skipped: 0 });
    expect(b.active!.metrics).toEqual(a.metrics);
  });

  it('--activate overrides the gate and says so', async () => {
    const c = await runTrainingJob({ store, config, log }, { ...HOLD_ONLY, seed: 3, activate: true });
    expect(c.gate.pass).toBe(false);
    expect(c.overridden).toBe(true);
    expect(c.status).toBe('active');
    const rec = (await store.getModel(c.version))!;
    expect(rec).toMatchObject({ status: 'active', isActive: true, statusReason: `activated by --activate although the gate refused: ${c.gate.reason}` });
    expect((await store.getModel(a.version))!.status).toBe('retired');
  });

  it('rollback restores the previous active model, rejects the current one, then has nowhere to go', async () => {
    const current = (await store.activeModel())!;
    const { from, to } = await rollbackModel(store, log);
    expect(to.version).toBe(a.version);
    expect(from).toMatchObject({ version: current.version, status: 'rejected', isActive: false });
    expect((await store.activeModel())?.version).toBe(a.version);
    const err = await rejection(rollbackModel(store));
    expect(err).toBeInstanceOf(RegistryError);
    expect(err.code).toBe('NO_PREVIOUS_MODEL');
    expect((await store.activeModel())?.version).toBe(a.version);
  });

  it('activate refuses failed, training and unknown models and models without artifacts', async () => {
    await store.createModel({ version: 'v20990101000000-aaaaaa' });
    await store.updateModel('v20990101000000-aaaaaa', { status: 'failed', statusReason: 'DATASET_NAN: ...' });
    await store.createModel({ version: 'v20990101000000-bbbbbb' });
    await store.createModel({ version: 'v20990101000000-cccccc' });
    await store.updateModel('v20990101000000-cccccc', { status: 'trained' });
    for (const [version, code] of [
      ['v20990101000000-aaaaaa', 'MODEL_NOT_ACTIVATABLE'],
      ['v20990101000000-bbbbbb', 'MODEL_NOT_ACTIVATABLE'],
      ['v20990101000000-ffffff', 'MODEL_NOT_FOUND'],
    ] as const) {
      const err = await rejection(activateVersion(store, version));
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.code).toBe(code);
    }
    const missing = await rejection(activateVersion(store, 'v20990101000000-cccccc'));
    expect(missing).toBeInstanceOf(ArtifactError);
    expect(missing.code).toBe('ARTIFACT_MISSING');
    expect((await store.activeModel())?.version).toBe(a.version);

    // A trained model the gate refused can still be activated by an operator, and rolled back.
    expect((await activateVersion(store, b.version, log)).status).toBe('active');
    expect((await rollbackModel(store)).to.version).toBe(a.version);
  });

  it('an artifact saved to and loaded from the store predicts exactly as at training (tfjs), and within 1e-5 with ONNX Runtime', async () => {
    const onnx = await loadModelVersion(store, a.version);
    const loaded = await loadModelVersion(store, a.version, { runtime: 'tfjs' });
    try {
      expect(onnx.runtime).toBe('onnx');
      expect(loaded.runtime).toBe('tfjs');
      expect(weightsSha256(loaded.model)).toBe(a.weightsSha256);
      expect(loaded.features).toEqual([...INDICATOR_COLUMNS]);
      expect(loaded.timesteps).toBe(8);
      // Rebuild the same test window (the split depends on candles and T only) and predict through
      // the stored pipeline: every confidence matches the one recorded in the drift reference at training.
      const set = buildTrainingSet(
        candles.map((c) => ({ symbol: c[0]!.symbol, timeframe: '5m' as const, candles: c })),
        { features: [...INDICATOR_COLUMNS], barrier: config.barrier, weights: loaded.metadata.weightSnapshot as never, timesteps: 8, split: SMALL.split },
      );
      const scored = await scoreModel(set, loaded, set.split.test);
      expect(scored.evaluation.metrics).toEqual(a.metrics);
      const confidence = Array.from({ length: set.split.test.length }, (_, k) => Math.max(...scored.probabilities.subarray(k * 3, k * 3 + 3)));
      const recorded = (loaded.metadata.extra.driftReference as { predictions: { confidence: number[] } }).predictions.confidence;
      expect(recorded).toEqual(confidence.map((x) => Number(x.toPrecision(7))));
      const viaOnnx = await scoreModel(set, onnx, set.split.test);
      expect(viaOnnx.predicted).toEqual(scored.predicted);
      for (let i = 0; i < scored.probabilities.length; i++) expect(Math.abs(viaOnnx.probabilities[i]! - scored.probabilities[i]!)).toBeLessThanOrEqual(1e-5);
    } finally {
      onnx.dispose();
      loaded.dispose();
    }
  });

  it('a model stored without model.onnx (trained before the exporter) is exported at its first load, stored, and read back at later loads', async () => {
    const version = 'v20990101000000-ccccc0';
    const blobs = await store.getArtifacts(a.version);
    const meta = JSON.parse(new TextDecoder().decode(blobs.find((x) => x.name === 'metadata.json')!.bytes));
    delete meta.extra.onnx;
    const metaBytes = new TextEncoder().encode(JSON.stringify(meta));
    await store.createModel({ version });
    await store.updateModel(version, { status: 'trained' });
    await store.putArtifacts(
      blobs
        .filter((x) => x.name !== 'model.onnx')
        .map((x) => (x.name === 'metadata.json' ? { ...x, modelVersion: version, bytes: metaBytes, sha256: sha256Hex(metaBytes) } : { ...x, modelVersion: version })),
    );
    expect((await store.getArtifacts(version)).map((x) => x.name)).not.toContain('model.onnx');

    const first = await loadModelVersion(store, version);
    first.dispose();
    expect(first.runtime).toBe('onnx');
    expect(servingRuntime()?.reason).toMatch(/^exported on load/);
    const kept = (await store.getArtifacts(version)).find((x) => x.name === 'model.onnx');
    expect(kept).toBeDefined();
    expect(sha256Hex(kept!.bytes)).toBe(kept!.sha256);
    // The same bytes as the training's own export of these weights (the exporter is deterministic).
    expect(kept!.sha256).toBe(blobs.find((x) => x.name === 'model.onnx')!.sha256);

    const second = await loadModelVersion(store, version);
    second.dispose();
    expect(second.runtime).toBe('onnx');
    expect(servingRuntime()?.reason).toMatch(/^stored model\.onnx \(exported at an earlier load\); equal to tfjs/);
  });

  it('loadActiveModel checks the configured FEATURES against the model and names both lists', async () => {
    const ok = (await loadActiveModel(store, config))!;
    expect(ok.version).toBe(a.version);
    expect(ok.pipeline.width).toBe(17);
    ok.dispose();
    const err = await rejection(loadActiveModel(store, testConfig({ TFJS_BACKEND: 'wasm', FEATURES: 'rsi_value,adx_value' })));
    expect(err).toBeInstanceOf(ArtifactError);
    expect(err.code).toBe('ARTIFACT_FEATURES_MISMATCH');
    expect(err.message).toContain(`[${INDICATOR_COLUMNS.join(', ')}]`);
    expect(err.message).toContain('[adx_value, rsi_value]');
    expect(err.context).toEqual({ model: [...INDICATOR_COLUMNS], configured: ['adx_value', 'rsi_value'] });
  });

  it('a model trained on a FEATURES subset reads its own columns and is compared with the active model on the same window', async () => {
    const subset = testConfig({ TFJS_BACKEND: 'wasm', FEATURES: 'volatility,rsi_value,atr_value' });
    const d = await runTrainingJob({ store, config: subset, log }, { ...SMALL, seed: 4 });
    expect(d.active).toMatchObject({ version: a.version, error: null });
    expect(d.active!.metrics).toEqual(a.metrics);
    const loaded = await loadModelVersion(store, d.version);
    expect(loaded.features).toEqual(['rsi_value', 'atr_value', 'volatility']);
    expect(loaded.predictor.features).toBe(3);
    loaded.dispose();
  });

  it('a corrupt artifact or one naming a column this code does not have is a typed ArtifactError', async () => {
    const blobs = await store.getArtifacts(a.version);
    const meta = JSON.parse(new TextDecoder().decode(blobs.find((x) => x.name === 'metadata.json')!.bytes));
    const cases: Array<[string, Uint8Array]> = [
      ['v20990101000000-dddddd', new TextEncoder().encode(JSON.stringify({ ...meta, features: ['not_a_column', ...meta.features.slice(1)] }))],
      ['v20990101000000-eeeeee', new TextEncoder().encode('{"truncated": ')],
    ];
    for (const [version, metaBytes] of cases) {
      await store.createModel({ version });
      await store.updateModel(version, { status: 'trained' });
      await store.putArtifacts(
        blobs.map((x) => (x.name === 'metadata.json' ? { ...x, modelVersion: version, bytes: metaBytes, sha256: sha256Hex(metaBytes) } : { ...x, modelVersion: version })),
      );
      const err = await rejection(loadModelVersion(store, version));
      expect(err).toBeInstanceOf(ArtifactError);
      expect(err.code).toBe('ARTIFACT_CORRUPT');
    }
  });
});
