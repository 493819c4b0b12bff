/**
 * Request bodies, bounded. Nothing past `limit` bytes is ever buffered: a declared Content-Length
 * over the limit is refused before reading, a streamed body is refused the moment it passes it.
 * After a 413 the caller drains the rest with discardRemainder (read and dropped, up to a cap, so
 * an ordinary client still gets to read its 413) instead of leaving the connection wedged.
 */
import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.ts';

const tooLarge = (limit: number) =>
  new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body is larger than ${limit} bytes`, { context: { limit } });

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  if (req.readableEnded) return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        cleanup();
        req.pause();
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ApiError(400, 'BODY_UNREADABLE', 'the request body could not be read', { cause: err }));
    };
    const onClose = () => {
      if (req.readableEnded) return;
      cleanup();
      reject(new ApiError(400, 'BODY_UNREADABLE', 'the client closed the connection before the body ended'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}

/** Reads a JSON body: empty → undefined; unparseable → 400 MALFORMED_JSON; too large → 413. */
export async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const buf = await readBody(req, limit);
  if (buf.length === 0) return undefined;
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (err) {
    throw new ApiError(400, 'MALFORMED_JSON', `the request body is not valid JSON: ${(err as Error).message}`);
  }
}

/** Reads and drops what is left of a refused body; past `cap` bytes the connection is cut. */
export function discardRemainder(req: IncomingMessage, cap: number): void {
  if (req.readableEnded || req.destroyed) return;
  let seen = 0;
  req.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > cap) req.socket.destroy();
  });
  req.on('error', () => {});
  req.resume();
}
