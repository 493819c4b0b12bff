import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadArtifact, modelFromBytes, modelToBytes, packArtifact, sha256Hex, type ArtifactBlob, type MetadataInput } from '../../src/model/artifact.ts';
import { initBackend } from '../../src/model/backend.ts';
import { ArtifactError } from '../../src/model/errors.ts';
import { buildLstm, weightsSha256 } from '../../src/model/lstm.ts';
import { trainModel } from '../../src/model/train-loop.ts';
import { range, syntheticDataset } from './synthetic.ts';

const FEATURES = ['rsi_value', 'adx_value', 'atr_value'];
const ds = { ...syntheticDataset(200, 6, 3), featureNames: FEATURES };
let blobs: ArtifactBlob[];
let trainedHash: string;

const meta = (): MetadataInput => ({
  features: FEATURES,
  transformsId: 'test-v1',
  scaler: { mean: [0, 0, 0], std: [1, 1, 1] },
  weightSnapshot: { rsi_value: 1, adx_value: 0.8, atr_value: 1.2 },
  timesteps: 6,
  barrier: { tpAtrMult: 2, slAtrMult: 1.5, horizon: 24, feePct: 0.1 },
  // Infinity survives the JSON round trip (a profit factor with no losing trade).
  metrics: { accuracy: 0.5, precisionBuy: 0, precisionSell: 0, recallBuy: 0, recallSell: 0, f1Macro: 0.3, winRate: 1, avgProfitPerTrade: 1, profitFactor: Infinity, maxDrawdown: 0, sharpe: 0, sortino: 0, calmar: 0, trades: 1 },
  backend: 'wasm',
  seed: 1,
  extra: { history: [1, 2] },
});

beforeAll(async () => {
  await initBackend('wasm');
  const r = await trainModel({ dataset: ds, trainRows: range(0, 160), valRows: range(160, 200), classWeights: [1, 1, 1], seed: 1, hyper: { units: 4, batchSize: 40, maxEpochs: 2 } });
  trainedHash = r.weightsSha256;
  blobs = packArtifact(r.model, r.weightsSha256, meta());
});

const windows = () => tf.tensor3d(ds.rows.subarray(0, 50 * 6 * 3), [50, 6, 3]);
const replace = (name: string, bytes: Uint8Array, keepHash = false): ArtifactBlob[] =>
  blobs.map((b) => (b.name === name ? { ...b, bytes, sha256: keepHash ? b.sha256 : sha256Hex(bytes) } : b));
const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ArtifactError);
  return (e as ArtifactError).code;
};

describe('model artifact', () => {
  it('round-trips: the loaded model predicts bitwise identically and keeps its metadata', async () => {
    const { model, metadata } = await loadArtifact(blobs, FEATURES);
    // A second copy loaded straight from the trained bytes is the reference.
    const reference = await modelFromBytes({ modelJson: blobs[0]!.bytes, weightsBin: blobs[1]!.bytes });
    const [a, b] = tf.tidy(() => {
      const x = windows();
      return [(model.predict(x) as tf.Tensor).dataSync(), (reference.predict(x) as tf.Tensor).dataSync()];
    });
    expect(Buffer.from(a!.buffer).equals(Buffer.from(b!.buffer))).toBe(true);
    expect(weightsSha256(model)).toBe(trainedHash);
    expect(metadata).toMatchObject({ features: FEATURES, timesteps: 6, seed: 1, weightsSha256: trainedHash, extra: { history: [1, 2] } });
    expect(metadata.metrics!.profitFactor).toBe(Infinity);
    model.dispose();
    reference.dispose();
  });

  it('predicts after load exactly as the in-memory model it was saved from', async () => {
    const net = buildLstm({ timesteps: 6, features: 3, units: 4 }, 99);
    const bytes = await modelToBytes(net);
    const loaded = await modelFromBytes(bytes);
    const [a, b] = tf.tidy(() => {
      const x = windows();
      return [(net.predict(x) as tf.Tensor).dataSync(), (loaded.predict(x) as tf.Tensor).dataSync()];
    });
    expect(Array.from(b!)).toEqual(Array.from(a!));
    expect(weightsSha256(loaded)).toBe(weightsSha256(net));
    expect(sha256Hex(bytes.weightsBin)).toBe(weightsSha256(net)); // weights.bin = the hashed bytes
    net.dispose();
    loaded.dispose();
  });

  it('refuses a missing blob', async () => {
    expect(await codeOf(loadArtifact(blobs.filter((b) => b.name !== 'weights.bin'), FEATURES))).toBe('ARTIFACT_MISSING');
  });

  it('refuses bytes that do not match their recorded hash', async () => {
    const flipped = blobs[1]!.bytes.slice();
    flipped[10]! ^= 0xff;
    expect(await codeOf(loadArtifact(replace('weights.bin', flipped, true), FEATURES))).toBe('ARTIFACT_HASH_MISMATCH');
    // Re-hashed but not the weights metadata.json was written with.
    expect(await codeOf(loadArtifact(replace('weights.bin', flipped), FEATURES))).toBe('ARTIFACT_HASH_MISMATCH');
  });

  it('refuses corrupt content', async () => {
    expect(await codeOf(loadArtifact(replace('metadata.json', new TextEncoder().encode('{"format":1')), FEATURES))).toBe('ARTIFACT_CORRUPT');
    expect(await codeOf(loadArtifact(replace('metadata.json', new TextEncoder().encode('{"format":1}')), FEATURES))).toBe('ARTIFACT_CORRUPT');
    expect(await codeOf(modelFromBytes({ modelJson: new TextEncoder().encode('not json'), weightsBin: blobs[1]!.bytes }))).toBe('ARTIFACT_CORRUPT');
    expect(await codeOf(modelFromBytes({ modelJson: blobs[0]!.bytes, weightsBin: blobs[1]!.bytes.subarray(4) }))).toBe('ARTIFACT_CORRUPT');
  });

  it('refuses a model trained on other features than the configured ones', async () => {
    expect(await codeOf(loadArtifact(blobs, ['rsi_value', 'atr_value', 'adx_value']))).toBe('ARTIFACT_FEATURES_MISMATCH');
    expect(await codeOf(loadArtifact(blobs, FEATURES.slice(0, 2)))).toBe('ARTIFACT_FEATURES_MISMATCH');
  });
});
