/**
 * Tests read only what the repository holds (issue 14: a fresh clone passes alone). Every TA-Lib
 * fixture's candle file is in the repository byte for byte, and no test source names a path
 * outside it (the shared candle set of the development machine, absolute /work paths).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { candlePath, loadTalibFixture } from './candles.ts';

const TESTS = fileURLToPath(new URL('..', import.meta.url));
const TALIB = join(TESTS, 'fixtures/talib');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'fixtures' ? [] : sourceFiles(path);
    return /\.(ts|mts|mjs|js)$/.test(e.name) ? [path] : [];
  });
}

describe('candle fixtures', () => {
  const fixtures = readdirSync(TALIB).filter((f) => f.endsWith('.json'));

  it.each(fixtures)('%s: its candle file is in the repository with the hash the fixture was made from', (file) => {
    const fixture = loadTalibFixture(file) as ReturnType<typeof loadTalibFixture> & { source_sha256: string };
    const sha = createHash('sha256').update(readFileSync(candlePath(file))).digest('hex');
    expect(sha).toBe(fixture.source_sha256);
  });

  it('no test source reads a path outside the repository', () => {
    const outside = /\.\.\/shared\/|['"`]\/work\/|\.\.\/\.\.\/\.\.\/shared/;
    const offenders = sourceFiles(TESTS)
      .filter((f) => readFileSync(f, 'utf8').split('\n').some((line) => outside.test(line) && !/^\s*(\*|\/\/)/.test(line)))
      .map((f) => relative(TESTS, f));
    expect(offenders).toEqual([]);
  });
});
