/**
 * A full disk under the embedded store: PGlite's (Emscripten) file system throws a plain
 * {name: 'ErrnoError', errno: 51} object, no Error, so the daemon used to stop with "start failed:
 * [object Object]". The wire error must name the errno (ENOSPC) so the operator knows what to free.
 * (Reproduced by hand: SIGNALBASE_DATA_DIR on a 1 MB tmpfs, `signalbase run --once`.)
 */
import { describe, expect, it } from 'vitest';
import { fromWireError, toWireError } from '../../src/store/pglite-worker-protocol.ts';

describe('PGlite worker errors on the wire', () => {
  it('names ENOSPC for an Emscripten ErrnoError 51, keeps code and errno as fields', () => {
    const w = toWireError({ name: 'ErrnoError', errno: 51 });
    expect(w.message).toMatch(/^ENOSPC: /);
    const e = fromWireError(w) as Error & { code?: string; errno?: number };
    expect(e.message).toContain('ENOSPC');
    expect(e.code).toBe('ENOSPC');
    expect(e.errno).toBe(51);
    expect(String(e)).not.toContain('[object Object]');
  });

  it('never turns an object into "[object Object]"', () => {
    expect(toWireError({ message: 'plain object with a message' }).message).toBe('plain object with a message');
    expect(toWireError({ weird: 1 }).message).toBe('{"weird":1}');
    expect(toWireError('text').message).toBe('text');
  });
});
