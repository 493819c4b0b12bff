/**
 * A fake Supabase Storage API speaking the requests @supabase/storage-js 2.109 sends (read from
 * node_modules/@supabase/storage-js/dist/index.mjs: StorageBucketApi.getBucket/createBucket,
 * StorageFileApi.uploadOrUpdate/download) with the answers Supabase's storage server documents
 * (https://supabase.github.io/storage/, github.com/supabase/storage):
 *
 * - POST /storage/v1/bucket {id, name, public, ...}  → 200 {name}; an existing id → 409
 * - GET  /storage/v1/bucket/<id>                     → 200 {id, name, public, ...} or 404
 * - POST /storage/v1/object/<bucket>/<path>          → 200 {Key, Id}; with `x-upsert: true` an
 *   existing object is replaced, without it → 409 Duplicate
 * - PUT  /storage/v1/object/<bucket>/<path>          → replaces an existing object (404 if none)
 * - GET  /storage/v1/object/<bucket>/<path> and /object/authenticated/<bucket>/<path> → the bytes
 *   with their content type, or 404
 * - errors as {statusCode, error, message}; the `apikey` and `Authorization: Bearer` headers must
 *   carry the service-role key (403 otherwise; a private bucket has no anonymous access).
 *
 * It runs as a service of the fake PostgREST's server (same origin, as on Supabase) or alone.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody } from './fake-postgrest.ts';

export interface StoredObject {
  bytes: Buffer;
  contentType: string;
  /** How many times it was written. */
  writes: number;
}

export interface FakeStorage {
  buckets: Map<string, { id: string; name: string; public: boolean; created_at: string }>;
  /** "<bucket>/<path>" → object. */
  objects: Map<string, StoredObject>;
  requests: { method: string; path: string; status: number }[];
  /** The next `times` requests whose path matches answer `status` with a storage error body. */
  failNext(path: RegExp, times: number, status: number, message?: string): void;
  handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<number | null>;
}

const PREFIX = '/storage/v1/';

function reply(res: ServerResponse, status: number, body: unknown, contentType = 'application/json'): number {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': contentType, 'content-length': String(payload.length) });
  res.end(payload);
  return status;
}

const storageError = (res: ServerResponse, status: number, error: string, message: string) =>
  reply(res, status, { statusCode: String(status), error, message });

export function createFakeStorage(serviceRoleKey: string): FakeStorage {
  const buckets: FakeStorage['buckets'] = new Map();
  const objects: FakeStorage['objects'] = new Map();
  const requests: FakeStorage['requests'] = [];
  const faults: { path: RegExp; left: number; status: number; message: string }[] = [];

  function route(req: IncomingMessage, res: ServerResponse, body: Buffer, path: string): number {
    const fault = faults.find((f) => f.left > 0 && f.path.test(path));
    if (fault) {
      fault.left--;
      return storageError(res, fault.status, 'InjectedFault', fault.message);
    }
    if (req.headers.apikey !== serviceRoleKey || req.headers.authorization !== `Bearer ${serviceRoleKey}`) {
      return storageError(res, 403, 'Unauthorized', 'Invalid Compact JWS');
    }
    const rest = path.slice(PREFIX.length);
    const method = req.method ?? 'GET';
    if (rest === 'bucket' && method === 'POST') {
      const b = JSON.parse(body.toString('utf8')) as { id: string; name?: string; public?: boolean };
      if (buckets.has(b.id)) return storageError(res, 409, 'Duplicate', 'The resource already exists');
      buckets.set(b.id, { id: b.id, name: b.name ?? b.id, public: b.public === true, created_at: new Date().toISOString() });
      return reply(res, 200, { name: b.id });
    }
    const bucketGet = /^bucket\/([^/]+)$/.exec(rest);
    if (bucketGet && method === 'GET') {
      const b = buckets.get(decodeURIComponent(bucketGet[1]!));
      return b ? reply(res, 200, b) : storageError(res, 404, 'Bucket not found', 'Bucket not found');
    }
    const obj = /^object\/(?:authenticated\/)?([^/]+)\/(.+)$/.exec(rest);
    if (obj) {
      const bucket = decodeURIComponent(obj[1]!);
      const key = `${bucket}/${decodeURIComponent(obj[2]!)}`;
      if (!buckets.has(bucket)) return storageError(res, 404, 'Bucket not found', 'Bucket not found');
      const existing = objects.get(key);
      if (method === 'GET') {
        return existing ? reply(res, 200, existing.bytes, existing.contentType) : storageError(res, 404, 'not_found', 'Object not found');
      }
      if (method === 'POST' || method === 'PUT') {
        if (method === 'POST' && existing && req.headers['x-upsert'] !== 'true') return storageError(res, 409, 'Duplicate', 'The resource already exists');
        if (method === 'PUT' && !existing) return storageError(res, 404, 'not_found', 'Object not found');
        objects.set(key, { bytes: body, contentType: String(req.headers['content-type'] ?? 'application/octet-stream'), writes: (existing?.writes ?? 0) + 1 });
        return reply(res, 200, { Key: key, Id: randomUUID() });
      }
    }
    return storageError(res, 400, 'InvalidRequest', `this fake does not serve ${method} ${path}`);
  }

  return {
    buckets,
    objects,
    requests,
    failNext(path, times, status, message = 'injected failure') {
      faults.push({ path, left: times, status, message });
    },
    async handle(req, res, body) {
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (!path.startsWith(PREFIX)) return null;
      const status = route(req, res, body, path);
      requests.push({ method: req.method ?? '', path, status });
      return status;
    },
  };
}

/** The fake Storage alone on loopback. */
export async function startFakeStorage(serviceRoleKey: string): Promise<FakeStorage & { url: string; close(): Promise<void> }> {
  const storage = createFakeStorage(serviceRoleKey);
  const server = createServer((req, res) => {
    readBody(req)
      .then((body) => storage.handle(req, res, body))
      .then((status) => {
        if (status === null) reply(res, 404, { statusCode: '404', error: 'not_found', message: 'not a storage path' });
      })
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(storage, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
