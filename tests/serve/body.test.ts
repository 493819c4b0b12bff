import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readBody, readJson } from '../../src/serve/body.ts';
import { ApiError } from '../../src/serve/errors.ts';

/** An endless request body that counts the chunks pulled from it. */
function endless(chunk: number, headers: Record<string, string> = {}) {
  let pulled = 0;
  const stream = new Readable({
    read() {
      pulled += 1;
      this.push(Buffer.alloc(chunk, 0x61));
    },
  }) as Readable & { headers: Record<string, string> };
  stream.headers = headers;
  return { req: stream as unknown as IncomingMessage, pulled: () => pulled };
}

function bodyOf(text: string, headers: Record<string, string> = {}): IncomingMessage {
  const r = Readable.from([Buffer.from(text)]) as Readable & { headers: Record<string, string> };
  r.headers = headers;
  return r as unknown as IncomingMessage;
}

describe('bounded bodies', () => {
  it('stops reading an endless body just past the limit (413), buffering nothing more', async () => {
    const { req, pulled } = endless(1024);
    const err = await readBody(req, 64 * 1024).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).status).toBe(413);
    // 64 KiB in 1 KiB chunks: the 65th passes the limit; the stream may read ahead a few chunks (highWaterMark 16 KiB).
    expect(pulled()).toBeGreaterThanOrEqual(65);
    expect(pulled()).toBeLessThanOrEqual(65 + 17);
    const after = pulled();
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled()).toBeLessThanOrEqual(after + 17);
  });

  it('refuses a declared Content-Length over the limit without reading', async () => {
    const { req, pulled } = endless(1024, { 'content-length': String(10 * 1024 * 1024) });
    await expect(readBody(req, 1024)).rejects.toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    expect(pulled()).toBe(0);
  });

  it('parses JSON, gives undefined for an empty body and 400 for malformed JSON', async () => {
    expect(await readJson(bodyOf('{"force":true}'), 100)).toEqual({ force: true });
    expect(await readJson(bodyOf(''), 100)).toBeUndefined();
    await expect(readJson(bodyOf('{"force":'), 100)).rejects.toMatchObject({ status: 400, code: 'MALFORMED_JSON' });
  });
});
