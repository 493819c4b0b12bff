/**
 * Model artifacts in Supabase Storage: a real (tiny) model trained with Supabase configured lands in
 * the fake Storage (the requests storage-js sends, tests/helpers/fake-storage.ts) and loads back
 * identically; the bucket is created private when missing; uploads and downloads retry; a corrupt
 * or missing object is refused. Without Supabase the table keeps them (the Store's own
 * putArtifacts/getArtifacts).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INDICATOR_COLUMNS } from '../../src/domain/indicators.ts';
import { syntheticSeries } from '../../src/ingest/synthetic.ts';
import { MODELS_BUCKET, SupabaseStorageArtifactStore } from '../../src/store/supabase/storage.ts';
import { initBackend } from '../../src/model/backend.ts';
import { weightsSha256 } from '../../src/model/lstm.ts';
import { loadModelVersion } from '../../src/model/registry.ts';
import { scoreModel } from '../../src/model/training-eval.ts';
import { runTrainingJob, type TrainingJobResult } from '../../src/model/training-job.ts';
import { buildTrainingSet } from '../../src/model/training-set.ts';
import type { Store } from '../../src/store/store.ts';
import type { ArtifactRecord } from '../../src/store/types.ts';
import { startFakeStorage } from '../helpers/fake-storage.ts';
import { memoryStore, silentLogger, testConfig } from '../helpers/pg.ts';
import { pgliteTarget, serviceRoleKey, type SupabaseTarget } from '../store/supabase-target.ts';
import { SMALL_TRAINING } from './synthetic.ts';

const config = testConfig({ TFJS_BACKEND: 'wasm' });
const log = silentLogger();
const SMALL = SMALL_TRAINING;
const candles = syntheticSeries({ seed: 7, symbols: 2, timeframe: '5m', vol: 0.003, candles: 700, start: Date.UTC(2024, 0, 1) });

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

function blob(version: string, name: string, bytes: Uint8Array, contentType = 'application/octet-stream'): ArtifactRecord {
  return { modelVersion: version, name, contentType, bytes, sha256: sha(bytes) };
}

describe('a model trained with Supabase configured', () => {
  let t: SupabaseTarget;
  let store: Store;
  let trained: TrainingJobResult;

  beforeAll(async () => {
    await initBackend('wasm');
    t = await pgliteTarget('models');
    store = await t.open({ TFJS_BACKEND: 'wasm' });
    for (const s of candles) await store.upsertCandles(s);
    trained = await runTrainingJob({ store, config, log }, { ...SMALL, seed: 11, activate: true });
  }, 240_000);
  afterAll(async () => {
    await store?.close();
    await t?.close();
  });

  it('lands in the private ml-models bucket, one folder per version, and not in the table', async () => {
    expect(t.storage.buckets.get(MODELS_BUCKET)).toMatchObject({ id: MODELS_BUCKET, public: false });
    const names = [...t.storage.objects.keys()].filter((k) => k.startsWith(`${MODELS_BUCKET}/${trained.version}/`)).sort();
    expect(names).toEqual(['manifest.json', 'metadata.json', 'model.json', 'model.onnx', 'weights.bin'].map((n) => `${MODELS_BUCKET}/${trained.version}/${n}`));
    const weights = t.storage.objects.get(`${MODELS_BUCKET}/${trained.version}/weights.bin`)!;
    const manifest = JSON.parse(t.storage.objects.get(`${MODELS_BUCKET}/${trained.version}/manifest.json`)!.bytes.toString('utf8')) as {
      artifacts: { name: string; sha256: string }[];
    };
    expect(manifest.artifacts.find((a) => a.name === 'weights.bin')!.sha256).toBe(sha(weights.bytes));
    const { rows } = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM models.ml_model_artifacts WHERE model_version = $1`, [trained.version]);
    expect(rows[0]!.n).toBe(0);
  });

  it('loads back from Storage with identical weights and identical predictions on the test window', async () => {
    const loaded = await loadModelVersion(store, trained.version, { backend: 'wasm' });
    try {
      expect(weightsSha256(loaded.model)).toBe(trained.weightsSha256);
      const set = buildTrainingSet(
        candles.map((c) => ({ symbol: c[0]!.symbol, timeframe: '5m' as const, candles: c })),
        { features: [...INDICATOR_COLUMNS], barrier: config.barrier, weights: loaded.metadata.weightSnapshot as never, timesteps: 8, split: SMALL.split },
      );
      const scored = await scoreModel(set, loaded, set.split.test);
      expect(scored.evaluation.metrics).toEqual(trained.metrics);
    } finally {
      loaded.dispose();
    }
  });

  it('refuses a weights file altered in Storage', async () => {
    const key = `${MODELS_BUCKET}/${trained.version}/weights.bin`;
    const original = t.storage.objects.get(key)!;
    const altered = Buffer.from(original.bytes);
    altered[altered.length - 1] = (altered[altered.length - 1]! + 1) % 256;
    t.storage.objects.set(key, { ...original, bytes: altered });
    try {
      await expect(store.getArtifacts(trained.version)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    } finally {
      t.storage.objects.set(key, original);
    }
  });
});

describe('SupabaseStorageArtifactStore against the fake Storage', () => {
  let storage: Awaited<ReturnType<typeof startFakeStorage>>;
  let key: string;
  const open = (over: { key?: string } = {}) =>
    new SupabaseStorageArtifactStore({ url: storage.url, serviceRoleKey: over.key ?? key, log, retry: { attempts: 4, baseMs: 5, maxMs: 20 } });

  beforeAll(async () => {
    key = serviceRoleKey();
    storage = await startFakeStorage(key);
  });
  afterAll(async () => {
    await storage?.close();
  });

  it('creates the bucket once, private, and keeps one that exists (created concurrently: "already exists" is fine)', async () => {
    const a = open();
    const b = open();
    await Promise.all([a.put([blob('v1', 'model.json', new TextEncoder().encode('{}'), 'application/json')]), b.get('v1')]);
    expect(storage.buckets.get(MODELS_BUCKET)!.public).toBe(false);
    expect(storage.requests.filter((r) => r.method === 'POST' && r.path === '/storage/v1/bucket').length).toBeLessThanOrEqual(2);
    await open().put([blob('v1', 'model.json', new TextEncoder().encode('{"x":1}'), 'application/json')]);
    expect(storage.buckets.size).toBe(1);
  });

  it('uploads with upsert and retries, downloads with retries, byte for byte', async () => {
    const store = open();
    const weights = new Uint8Array(50_000).map((_, i) => (i * 7919) % 256);
    storage.failNext(/\/object\/ml-models\/v2\/weights\.bin$/, 2, 503, 'upstream unavailable');
    await store.put([blob('v2', 'weights.bin', weights), blob('v2', 'model.json', new TextEncoder().encode('{"m":2}'), 'application/json')]);
    const uploads = storage.requests.filter((r) => r.path.endsWith('/v2/weights.bin'));
    expect(uploads.map((r) => r.status)).toEqual([503, 503, 200]);
    await store.put([blob('v2', 'weights.bin', weights)]); // replay: upsert replaces, nothing duplicated
    expect(storage.objects.get('ml-models/v2/weights.bin')!.writes).toBe(2);

    storage.failNext(/\/object\/ml-models\/v2\/weights\.bin$/, 1, 500, 'internal');
    const back = await store.get('v2');
    expect(back.map((a) => a.name)).toEqual(['model.json', 'weights.bin']);
    expect(Buffer.from(back[1]!.bytes).equals(Buffer.from(weights))).toBe(true);
    expect(back[1]!.sha256).toBe(sha(weights));
    expect(await store.get('v-none')).toEqual([]);
  });

  it('refuses bytes that do not match their sha256 (as the table constraint does), and a wrong key', async () => {
    const bytes = new Uint8Array([1, 2, 3]);
    await expect(open().put([{ ...blob('v3', 'weights.bin', bytes), sha256: '0'.repeat(64) }])).rejects.toMatchObject({ code: 'STORE_CONSTRAINT' });
    expect(storage.objects.has('ml-models/v3/weights.bin')).toBe(false);
    await expect(open({ key: `${key}-wrong` }).get('v2')).rejects.toMatchObject({ code: 'STORE_AUTH_FAILED', retryable: false });
  });

  it('gives up after the last attempt with a retryable error', async () => {
    storage.failNext(/\/object\/ml-models\/v4\//, 4, 503, 'down');
    await expect(open().put([blob('v4', 'model.json', new TextEncoder().encode('{}'))])).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', retryable: true });
  });
});

it("without Supabase the table keeps the artifacts (the Store's own putArtifacts/getArtifacts)", async () => {
  const store = await memoryStore();
  try {
    await store.createModel({ version: 'v-table' });
    const rows = [blob('v-table', 'weights.bin', new Uint8Array([9, 8, 7]))];
    await store.putArtifacts(rows);
    expect(await store.getArtifacts('v-table')).toEqual(rows.map((r) => ({ ...r, bytes: new Uint8Array(r.bytes) })));
  } finally {
    await store.close();
  }
});
