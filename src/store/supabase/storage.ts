/**
 * Where a model's artifacts (model.json, weights.bin, metadata.json; src/model/artifact.ts) live:
 *
 * - the ml_model_artifacts table (the Store's own putArtifacts/getArtifacts), the default;
 * - Supabase Storage (SupabaseStorageArtifactStore) whenever Supabase is configured
 *   (SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY), with or without DATABASE_URL: a private bucket
 *   `ml-models`, created when missing, one folder per version: ml-models/<version>/model.json,
 *   weights.bin, metadata.json, and manifest.json (names, content types, sha256) written LAST, so a
 *   half-finished upload is invisible and a download can be verified byte for byte.
 *
 * openStore (src/store/index.ts) hands the configured one to the store adapter (its `artifacts`
 * option), so the registry, training and drift code keep calling Store.putArtifacts/getArtifacts.
 */
import { createHash } from 'node:crypto';
import { sleep } from '../../domain/timing.ts';
import { StoreError } from '../../errors.ts';
import type { Logger } from '../../log.ts';
import type { ArtifactStore } from '../store.ts';
import type { ArtifactRecord } from '../types.ts';
import { DEFAULT_RETRY, retryDelay, serviceRoleClient, type RetryPolicy } from './client.ts';

export const MODELS_BUCKET = 'ml-models';
const MANIFEST = 'manifest.json';

interface Manifest {
  format: 1;
  version: string;
  artifacts: { name: string; contentType: string; sha256: string; size: number }[];
}

/** What storage-js resolves to: { data, error } with error a StorageError (status: HTTP status). */
interface StorageResult<T> {
  data: T | null;
  error: { message: string; status?: number; statusCode?: string } | null;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** No answer, 429 and 5xx can succeed later; other answers (4xx) will not. */
function storageRetryable(status: number | undefined): boolean {
  return status === undefined || status === 0 || status === 429 || status >= 500;
}

export interface SupabaseStorageOptions {
  url: string;
  serviceRoleKey: string;
  log: Logger;
  bucket?: string;
  retry?: Partial<RetryPolicy>;
}

export class SupabaseStorageArtifactStore implements ArtifactStore {
  readonly bucket: string;
  private readonly host: string;
  private readonly storage;
  private readonly retry: RetryPolicy;
  private readonly log: Logger;
  private bucketReady: Promise<void> | null = null;

  constructor(opts: SupabaseStorageOptions) {
    this.bucket = opts.bucket ?? MODELS_BUCKET;
    this.host = new URL(opts.url).host;
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.log = opts.log;
    this.storage = serviceRoleClient(opts.url, opts.serviceRoleKey).storage;
  }

  /** Runs a storage-js call, retrying what can succeed later; throws a StoreError otherwise. */
  private async call<T>(what: string, op: () => PromiseLike<StorageResult<T>>, ok?: (e: NonNullable<StorageResult<T>['error']>) => boolean): Promise<T | null> {
    for (let attempt = 0; ; attempt++) {
      const { data, error } = await op();
      if (!error || ok?.(error)) return data;
      const status = error.status;
      if (storageRetryable(status) && attempt + 1 < this.retry.attempts) {
        await sleep(retryDelay(attempt, this.retry));
        continue;
      }
      const code =
        status === 401 || status === 403 ? 'STORE_AUTH_FAILED' : status === 404 ? 'STORE_NOT_FOUND' : storageRetryable(status) ? 'STORE_UNAVAILABLE' : 'STORE_QUERY_FAILED';
      throw new StoreError(code, `Supabase Storage at ${this.host}: ${what} failed: ${error.message}`, {
        retryable: storageRetryable(status),
        context: { location: this.host, status, statusCode: error.statusCode, bucket: this.bucket },
      });
    }
  }

  /** Creates the private bucket when it is missing (once per process); an existing one is kept. */
  private ensureBucket(): Promise<void> {
    this.bucketReady ??= (async () => {
      const notFound = (e: { status?: number; statusCode?: string; message: string }) => e.status === 404 || e.statusCode === '404' || /not found/i.test(e.message);
      const existing = await this.call(`reading bucket ${this.bucket}`, () => this.storage.getBucket(this.bucket), notFound);
      if (existing) {
        if (existing.public) this.log.warn({ bucket: this.bucket }, 'the model bucket is public: anyone can download the models; make it private');
        return;
      }
      const exists = (e: { status?: number; statusCode?: string; message: string }) => e.status === 409 || e.statusCode === '409' || /already exists/i.test(e.message);
      await this.call(`creating bucket ${this.bucket}`, () => this.storage.createBucket(this.bucket, { public: false }), exists);
      this.log.info({ bucket: this.bucket }, 'created the private Supabase Storage bucket for model artifacts');
    })();
    this.bucketReady.catch(() => (this.bucketReady = null));
    return this.bucketReady;
  }

  private upload(path: string, bytes: Uint8Array, contentType: string): Promise<unknown> {
    const body = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.call(`uploading ${this.bucket}/${path}`, () => this.storage.from(this.bucket).upload(path, body, { upsert: true, contentType }));
  }

  private async download(path: string): Promise<Uint8Array | null> {
    const notFound = (e: { status?: number; message: string }) => e.status === 404 || /not found/i.test(e.message);
    const blob = await this.call(`downloading ${this.bucket}/${path}`, () => this.storage.from(this.bucket).download(path), notFound);
    return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
  }

  async put(rows: readonly ArtifactRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const versions = new Set(rows.map((r) => r.modelVersion));
    if (versions.size !== 1) throw new StoreError('STORE_INVALID', `one version per put, got ${[...versions].join(', ')}`);
    // The table's CHECK constraint refuses bytes that do not match their sha256: so does this store.
    for (const r of rows) {
      if (sha256(r.bytes) !== r.sha256) {
        throw new StoreError('STORE_CONSTRAINT', `artifact ${r.modelVersion}/${r.name}: sha256 ${r.sha256} does not match its bytes`, {
          context: { version: r.modelVersion, name: r.name },
        });
      }
    }
    await this.ensureBucket();
    const version = rows[0]!.modelVersion;
    const previous = await this.readManifest(version);
    for (const r of rows) await this.upload(`${version}/${r.name}`, r.bytes, r.contentType);
    // Names stored earlier and not replaced now stay listed, as rows stay in the table.
    const byName = new Map((previous?.artifacts ?? []).map((a) => [a.name, a]));
    for (const r of rows) byName.set(r.name, { name: r.name, contentType: r.contentType, sha256: r.sha256, size: r.bytes.byteLength });
    const manifest: Manifest = { format: 1, version, artifacts: [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1)) };
    await this.upload(`${version}/${MANIFEST}`, new TextEncoder().encode(JSON.stringify(manifest)), 'application/json');
  }

  private async readManifest(version: string): Promise<Manifest | null> {
    await this.ensureBucket();
    const bytes = await this.download(`${version}/${MANIFEST}`);
    if (!bytes) return null;
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    } catch (err) {
      throw new StoreError('STORE_CORRUPT', `${this.bucket}/${version}/${MANIFEST} is not JSON`, { context: { version }, cause: err });
    }
  }

  async get(version: string): Promise<ArtifactRecord[]> {
    const manifest = await this.readManifest(version);
    if (!manifest) return [];
    const out: ArtifactRecord[] = [];
    for (const a of manifest.artifacts) {
      const bytes = await this.download(`${version}/${a.name}`);
      if (!bytes || sha256(bytes) !== a.sha256) {
        throw new StoreError('STORE_CORRUPT', `${this.bucket}/${version}/${a.name} is ${bytes ? 'corrupt (sha256 differs from the manifest)' : 'missing'}`, {
          context: { version, name: a.name },
        });
      }
      out.push({ modelVersion: version, name: a.name, contentType: a.contentType, bytes, sha256: a.sha256 });
    }
    return out;
  }
}
