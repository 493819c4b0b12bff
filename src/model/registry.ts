/**
 * The model registry over the Store (DESIGN.md "Models"): list, activate, rollback, and loading a
 * stored model with everything inference needs.
 *
 * Statuses: training → trained → active | failed; `retired` when another model replaces the active
 * one; `rejected` when an operator rolls a model back (so a second rollback goes one step further
 * back instead of bouncing between two models). Exactly one model is active (the store enforces it).
 *
 * Rollback: the previous active model is the retired model most recently activated. Activating
 * refuses models still training or failed, and models without their three artifacts.
 *
 * Features: a model always encodes its input with its OWN pipeline (features, scaler and weight
 * snapshot from its metadata). loadActiveModel additionally checks the model's feature list against
 * the configured FEATURES (all 17 when unset): a mismatch is an ArtifactError
 * ARTIFACT_FEATURES_MISMATCH naming both lists, so a FEATURES change never silently runs a model on
 * other columns than the operator configured.
 */
import type * as tf from '@tensorflow/tfjs';
import type { Config } from '../config.ts';
import { SignalbaseError } from '../domain/errors.ts';
import type { IndicatorColumn } from '../domain/indicators.ts';
import { FeaturePipeline } from '../features/pipeline.ts';
import { selectFeatures } from '../features/transforms.ts';
import type { Logger } from '../log.ts';
import type { Store } from '../store/store.ts';
import type { ModelRecord, ModelStatus } from '../store/types.ts';
import { ARTIFACT_NAMES, loadArtifact, type ArtifactBlob, type ArtifactMetadata } from './artifact.ts';
import { initBackend, type BackendPreference } from './backend.ts';
import { layersPredictor, type WindowPredictor } from './batcher.ts';
import { ArtifactError } from './errors.ts';
import { chooseRuntime, type InferenceRuntime, type InferenceRuntimePreference } from './onnx/serving.ts';
import { metricsJson } from './report.ts';
import { selectionFromMetadata, type Selection } from './selective.ts';
import { TRANSFORMS_ID } from './training-set.ts';

export type RegistryErrorCode = 'MODEL_NOT_FOUND' | 'MODEL_NOT_ACTIVATABLE' | 'NO_PREVIOUS_MODEL';

/** A registry operation that cannot be done on the models as they are. */
export class RegistryError extends SignalbaseError {
  declare readonly code: RegistryErrorCode;
  constructor(code: RegistryErrorCode, message: string, context: Record<string, unknown> = {}) {
    super(code, message, { context });
  }
}

/** One model as `models list --json` prints it. */
export interface ModelSummary {
  version: string;
  status: ModelStatus;
  is_active: boolean;
  created_at: string;
  activated_at: string | null;
  seed: number | null;
  backend: string | null;
  weights_sha256: string | null;
  status_reason: string | null;
  training_samples: number;
  validation_samples: number;
  /** Test-window metrics (null until the model was evaluated). */
  metrics: Record<string, number | string> | null;
}

export function modelSummary(m: ModelRecord): ModelSummary {
  return {
    version: m.version,
    status: m.status,
    is_active: m.isActive,
    created_at: new Date(m.createdAt).toISOString(),
    activated_at: m.activatedAt === null ? null : new Date(m.activatedAt).toISOString(),
    seed: m.seed,
    backend: m.backend,
    weights_sha256: m.weightsSha256,
    status_reason: m.statusReason,
    training_samples: m.trainingSamplesCount,
    validation_samples: m.validationSamplesCount,
    metrics: metricsJson(m.metrics),
  };
}

/** Every model, newest first. */
export async function listModelSummaries(store: Store): Promise<ModelSummary[]> {
  return (await store.listModels()).map(modelSummary);
}

async function requireArtifacts(store: Store, version: string): Promise<void> {
  const names = new Set((await store.getArtifacts(version)).map((a) => a.name));
  const missing = ARTIFACT_NAMES.filter((n) => !names.has(n));
  if (missing.length > 0) {
    throw new ArtifactError('ARTIFACT_MISSING', `model ${version} has no stored ${missing.join(', ')}; it cannot serve`, { version, missing });
  }
}

/** Makes `version` the active model (the previous one is retired). Idempotent for the active model. */
export async function activateVersion(store: Store, version: string, log?: Logger): Promise<ModelRecord> {
  const rec = await store.getModel(version);
  if (!rec) throw new RegistryError('MODEL_NOT_FOUND', `no model ${version}; signalbase models list shows the versions`, { version });
  if (rec.isActive) return rec;
  if (rec.status === 'training' || rec.status === 'failed') {
    throw new RegistryError(
      'MODEL_NOT_ACTIVATABLE',
      `model ${version} is ${rec.status}${rec.statusReason ? ` (${rec.statusReason})` : ''}; only trained, retired or rejected models can be activated`,
      { version, status: rec.status },
    );
  }
  await requireArtifacts(store, version);
  const previous = await store.activeModel();
  const done = await store.activateModel(version);
  log?.info({ version, previous: previous?.version ?? null, wasStatus: rec.status }, `model ${version} activated`);
  return done;
}

/** Reactivates the model that was active before the current one; the current one becomes `rejected`. */
export async function rollbackModel(store: Store, log?: Logger): Promise<{ from: ModelRecord; to: ModelRecord }> {
  const current = await store.activeModel();
  if (!current) throw new RegistryError('NO_PREVIOUS_MODEL', 'no model is active, so there is nothing to roll back; use signalbase models activate VERSION');
  const previous = (await store.listModels())
    .filter((m) => m.status === 'retired' && m.activatedAt !== null && m.version !== current.version)
    .sort((a, b) => b.activatedAt! - a.activatedAt! || b.createdAt - a.createdAt)[0];
  if (!previous) {
    throw new RegistryError('NO_PREVIOUS_MODEL', `no model was active before ${current.version}; nothing to roll back to`, { current: current.version });
  }
  await requireArtifacts(store, previous.version);
  const to = await store.activateModel(previous.version);
  const from = await store.updateModel(current.version, {
    status: 'rejected',
    statusReason: `rolled back to ${previous.version} at ${new Date().toISOString()}`,
  });
  log?.warn({ from: current.version, to: previous.version }, `rolled back from ${current.version} to ${previous.version}`);
  return { from, to };
}

/** A stored model ready for inference. dispose() frees its tensors. */
export interface LoadedModel {
  version: string;
  record: ModelRecord;
  model: tf.LayersModel;
  /** What serves the model: ONNX Runtime or the tfjs model above (onnx/serving.ts chooseRuntime). */
  predictor: WindowPredictor;
  runtime: InferenceRuntime;
  /** Encodes transformed rows (SymbolFeatureState's ring) into this model's input. */
  pipeline: FeaturePipeline;
  features: IndicatorColumn[];
  timesteps: number;
  metadata: ArtifactMetadata;
  /** Its selective rule (temperature, threshold); null for models trained before selection. */
  selection: Selection | null;
  dispose(): void;
}

export interface LoadOptions {
  /** The feature list the model must read (config.features); omitted: whatever the model reads. */
  expectedFeatures?: readonly string[];
  /** The tfjs backend to load on (the first initialisation in this thread wins). */
  backend?: BackendPreference;
  /** INFERENCE_RUNTIME; default auto (ONNX Runtime when the model's export checks out). */
  runtime?: InferenceRuntimePreference;
  log?: Logger;
}

function metadataFeatures(bytes: Uint8Array | undefined): string[] {
  try {
    const meta = JSON.parse(new TextDecoder().decode(bytes)) as { features?: unknown };
    return Array.isArray(meta.features) ? meta.features.map(String) : [];
  } catch {
    return []; // loadArtifact reports the corrupt metadata itself
  }
}

/** A stored model's record and artifact blobs, and the feature list its model must read. */
export interface StoredModelVersion {
  record: ModelRecord;
  blobs: ArtifactBlob[];
  expectedFeatures: string[];
}

/** Reads a model version's record and blobs (no tfjs): loadArtifact verifies them where the model loads. */
export async function readModelVersion(store: Store, version: string, opts: Pick<LoadOptions, 'expectedFeatures'> = {}): Promise<StoredModelVersion> {
  const record = await store.getModel(version);
  if (!record) throw new RegistryError('MODEL_NOT_FOUND', `no model ${version}`, { version });
  const blobs = await store.getArtifacts(version);
  if (blobs.length === 0) throw new ArtifactError('ARTIFACT_MISSING', `model ${version} has no stored artifacts`, { version, present: [] });
  const expectedFeatures = opts.expectedFeatures
    ? selectFeatures(opts.expectedFeatures)
    : metadataFeatures(blobs.find((b) => b.name === 'metadata.json')?.bytes);
  return { record, blobs, expectedFeatures };
}

/** The encoding pipeline a verified artifact's metadata describes (transforms, features, scaler, weights). */
export function pipelineFromMetadata(version: string, metadata: ArtifactMetadata): FeaturePipeline {
  if (metadata.transformsId !== TRANSFORMS_ID) {
    throw new ArtifactError('ARTIFACT_CORRUPT', `model ${version} was trained on transforms '${metadata.transformsId}'; this signalbase computes '${TRANSFORMS_ID}': train a new model`, {
      version,
      transformsId: metadata.transformsId,
    });
  }
  let pipeline: FeaturePipeline;
  try {
    pipeline = FeaturePipeline.fromJSON({ features: metadata.features, scaler: metadata.scaler, weights: metadata.weightSnapshot });
  } catch (err) {
    throw new ArtifactError('ARTIFACT_CORRUPT', `model ${version}: metadata.json has no usable pipeline: ${(err as Error).message}`, { version }, err);
  }
  if (pipeline.features.join() !== metadata.features.join()) {
    throw new ArtifactError('ARTIFACT_CORRUPT', `model ${version}: features are not in column order: ${metadata.features.join(', ')}`, { version });
  }
  return pipeline;
}

/** Loads and verifies a stored model (hashes, shape, features, transforms), with its pipeline. */
export async function loadModelVersion(store: Store, version: string, opts: LoadOptions = {}): Promise<LoadedModel> {
  const { record, blobs, expectedFeatures } = await readModelVersion(store, version, opts);
  await initBackend(opts.backend ?? 'auto');
  const { model, metadata } = await loadArtifact(blobs, expectedFeatures);
  try {
    const pipeline = pipelineFromMetadata(version, metadata);
    const serving = await chooseRuntime({
      version,
      preference: opts.runtime ?? 'auto',
      blobs,
      metadata,
      tfjs: layersPredictor(model),
      keep: (blob) => store.putArtifacts([{ ...blob, modelVersion: version }]),
      log: opts.log,
    });
    return {
      version,
      record,
      model,
      predictor: serving.predictor,
      runtime: serving.choice.runtime,
      pipeline,
      features: [...pipeline.features],
      timesteps: metadata.timesteps,
      metadata,
      selection: selectionFromMetadata(metadata.extra),
      dispose: () => {
        serving.release().catch(() => undefined);
        model.dispose();
      },
    };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

export async function loadActiveModel(store: Store, config: Pick<Config, 'features' | 'tfjsBackend'> & Partial<Pick<Config, 'inferenceRuntime'>>, log?: Logger): Promise<LoadedModel | null> {
  const rec = await store.activeModel();
  if (!rec) return null;
  return loadModelVersion(store, rec.version, { expectedFeatures: config.features, backend: config.tfjsBackend, runtime: config.inferenceRuntime, log });
}
