/**
 * A trained model as named byte blobs, the unit the store and Supabase Storage keep
 * (DESIGN.md "Models": `ml-models/<version>/` or `ml_model_artifacts`):
 *   model.json     tfjs layers format (topology + weights manifest pointing at weights.bin)
 *   weights.bin    the weights, float32, in layer order (its sha256 is the model's weights hash)
 *   metadata.json  what inference needs beside the net: features, transforms, scaler, weight
 *                  snapshot, T, barrier parameters, metrics, backend, seed, and the other blobs' hashes
 * Each blob carries its sha256. Loading checks every hash and the feature list before any tensor
 * exists; a missing, corrupt or mismatched blob is an ArtifactError with a stable code.
 */
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs';
import { z } from 'zod';
import type { BarrierParams } from '../domain/barrier.ts';
import type { ArtifactRecord, ModelMetrics } from '../store/types.ts';
import { ArtifactError } from './errors.ts';
import { modelShape, weightsSha256 } from './lstm.ts';

export const ARTIFACT_FORMAT = 1;
export const ARTIFACT_NAMES = ['model.json', 'weights.bin', 'metadata.json'] as const;
export type ArtifactName = (typeof ARTIFACT_NAMES)[number];
export type ArtifactBlob = Pick<ArtifactRecord, 'name' | 'contentType' | 'bytes' | 'sha256'>;

/** The net alone, as tfjs saves it. */
export interface ModelBytes {
  modelJson: Uint8Array;
  weightsBin: Uint8Array;
}

export interface ArtifactMetadata {
  format: number;
  /** Feature columns in the order the model reads them. */
  features: string[];
  /** Identifies the feature transforms (features/ owns the ids). */
  transformsId: string;
  /** Whatever the transforms need to scale live rows as in training (e.g. per-feature mean and std). */
  scaler: Record<string, unknown>;
  /** Indicator weights the training rows were multiplied by. */
  weightSnapshot: Record<string, number>;
  timesteps: number;
  barrier: BarrierParams;
  metrics: ModelMetrics | null;
  backend: string;
  seed: number;
  weightsSha256: string;
  modelJsonSha256: string;
  weightsBinSha256: string;
  /** Anything else worth keeping with the model (drift reference, hyper-parameters, history...). */
  extra: Record<string, unknown>;
}

export type MetadataInput = Omit<ArtifactMetadata, 'format' | 'weightsSha256' | 'modelJsonSha256' | 'weightsBinSha256'>;

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** tfjs's save output, as bytes (no file system: io.withSaveHandler). */
export async function modelToBytes(model: tf.LayersModel): Promise<ModelBytes> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' } };
    }),
  );
  if (!saved?.weightData || !saved.weightSpecs) throw new Error('tfjs save produced no weights');
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const modelJson: tf.io.ModelJSON = {
    modelTopology: saved.modelTopology as object,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: null,
  };
  return { modelJson: enc.encode(JSON.stringify(modelJson)), weightsBin: weights };
}

/** The inverse of modelToBytes. Throws ArtifactError(ARTIFACT_CORRUPT) when tfjs cannot use them. */
export async function modelFromBytes(bytes: ModelBytes): Promise<tf.LayersModel> {
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(dec.decode(bytes.modelJson)) as tf.io.ModelJSON;
  } catch (err) {
    throw new ArtifactError('ARTIFACT_CORRUPT', 'model.json is not valid UTF-8 JSON', { name: 'model.json' }, err);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new ArtifactError('ARTIFACT_CORRUPT', 'model.json has no modelTopology or weightsManifest', { name: 'model.json' });
  }
  const weightSpecs = json.weightsManifest.flatMap((g) => g.weights);
  const expected = weightSpecs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1) * 4, 0);
  if (bytes.weightsBin.byteLength !== expected) {
    throw new ArtifactError(
      'ARTIFACT_CORRUPT',
      `weights.bin holds ${bytes.weightsBin.byteLength} bytes but model.json describes ${expected}`,
      { name: 'weights.bin', bytes: bytes.weightsBin.byteLength, expected },
    );
  }
  const w = bytes.weightsBin;
  const weightData = w.buffer.slice(w.byteOffset, w.byteOffset + w.byteLength) as ArrayBuffer;
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData }));
  } catch (err) {
    throw new ArtifactError('ARTIFACT_CORRUPT', `tfjs cannot load the model: ${(err as Error).message}`, { name: 'model.json' }, err);
  }
}

// JSON has no Infinity (a profit factor with no losing trade is one): keep non-finite numbers as strings.
const replacer = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
const reviver = (_k: string, v: unknown) => (v === 'Infinity' ? Infinity : v === '-Infinity' ? -Infinity : v === 'NaN' ? NaN : v);

/** The three blobs of a model version, each with its sha256. */
export function packArtifact(bytes: ModelBytes, weightsHash: string, meta: MetadataInput): ArtifactBlob[] {
  const metadata: ArtifactMetadata = {
    ...meta,
    format: ARTIFACT_FORMAT,
    weightsSha256: weightsHash,
    modelJsonSha256: sha256Hex(bytes.modelJson),
    weightsBinSha256: sha256Hex(bytes.weightsBin),
  };
  const metaBytes = enc.encode(JSON.stringify(metadata, replacer));
  return [
    { name: 'model.json', contentType: 'application/json', bytes: bytes.modelJson, sha256: metadata.modelJsonSha256 },
    { name: 'weights.bin', contentType: 'application/octet-stream', bytes: bytes.weightsBin, sha256: metadata.weightsBinSha256 },
    { name: 'metadata.json', contentType: 'application/json', bytes: metaBytes, sha256: sha256Hex(metaBytes) },
  ];
}

const metadataSchema = z.object({
  format: z.literal(ARTIFACT_FORMAT),
  features: z.array(z.string()).min(1),
  transformsId: z.string(),
  scaler: z.record(z.string(), z.unknown()),
  weightSnapshot: z.record(z.string(), z.number()),
  timesteps: z.number().int().positive(),
  barrier: z.object({ tpAtrMult: z.number(), slAtrMult: z.number(), horizon: z.number().int(), feePct: z.number() }),
  // z.number() refuses Infinity, which a profit factor can be.
  metrics: z.record(z.string(), z.custom<number>((v) => typeof v === 'number', 'must be a number')).nullable(),
  backend: z.string(),
  seed: z.number(),
  weightsSha256: z.string().regex(/^[0-9a-f]{64}$/),
  modelJsonSha256: z.string().regex(/^[0-9a-f]{64}$/),
  weightsBinSha256: z.string().regex(/^[0-9a-f]{64}$/),
  extra: z.record(z.string(), z.unknown()),
});

export interface LoadedArtifact {
  model: tf.LayersModel;
  metadata: ArtifactMetadata;
}

/**
 * Verifies and loads a model version. `expectedFeatures` is the configured feature list; the model
 * must read exactly those columns in that order. The caller owns (and disposes) the model.
 */
export async function loadArtifact(blobs: readonly ArtifactBlob[], expectedFeatures: readonly string[]): Promise<LoadedArtifact> {
  const byName = new Map<string, ArtifactBlob>();
  for (const b of blobs) byName.set(b.name, b);
  for (const name of ARTIFACT_NAMES) {
    const b = byName.get(name);
    if (!b) throw new ArtifactError('ARTIFACT_MISSING', `the model artifact has no ${name}`, { name, present: [...byName.keys()] });
    const actual = sha256Hex(b.bytes);
    if (actual !== b.sha256) {
      throw new ArtifactError('ARTIFACT_HASH_MISMATCH', `${name} does not match its recorded sha256 (stored ${b.sha256.slice(0, 12)}…, computed ${actual.slice(0, 12)}…)`, {
        name,
        recorded: b.sha256,
        actual,
      });
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(dec.decode(byName.get('metadata.json')!.bytes), reviver);
  } catch (err) {
    throw new ArtifactError('ARTIFACT_CORRUPT', 'metadata.json is not valid UTF-8 JSON', { name: 'metadata.json' }, err);
  }
  const parsed = metadataSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ArtifactError('ARTIFACT_CORRUPT', `metadata.json: ${issue.path.join('.') || '(root)'} ${issue.message}`, { name: 'metadata.json' });
  }
  const metadata = parsed.data as unknown as ArtifactMetadata;
  for (const [name, recorded] of [
    ['model.json', metadata.modelJsonSha256],
    ['weights.bin', metadata.weightsBinSha256],
  ] as const) {
    if (byName.get(name)!.sha256 !== recorded) {
      throw new ArtifactError('ARTIFACT_HASH_MISMATCH', `${name} is not the one metadata.json was written with`, { name, recorded });
    }
  }
  if (metadata.features.length !== expectedFeatures.length || metadata.features.some((f, i) => f !== expectedFeatures[i])) {
    throw new ArtifactError(
      'ARTIFACT_FEATURES_MISMATCH',
      `the model reads features [${metadata.features.join(', ')}] but the configuration says [${expectedFeatures.join(', ')}]; ` +
        'set FEATURES to the model\'s list or train a new model',
      { model: metadata.features, configured: [...expectedFeatures] },
    );
  }
  const model = await modelFromBytes({ modelJson: byName.get('model.json')!.bytes, weightsBin: byName.get('weights.bin')!.bytes });
  try {
    const shape = modelShape(model);
    if (shape.features !== metadata.features.length || shape.timesteps !== metadata.timesteps) {
      throw new ArtifactError('ARTIFACT_CORRUPT', `the net reads [${shape.timesteps}, ${shape.features}] but metadata says [${metadata.timesteps}, ${metadata.features.length}]`, {
        net: shape,
      });
    }
    const hash = weightsSha256(model);
    if (hash !== metadata.weightsSha256) {
      throw new ArtifactError('ARTIFACT_HASH_MISMATCH', 'the loaded weights do not hash to metadata.weightsSha256', { recorded: metadata.weightsSha256, actual: hash });
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  return { model, metadata };
}
