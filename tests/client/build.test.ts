/**
 * The consumers' build of signalbase/client (scripts/build-client.mjs, run by `npm pack` as
 * prepack), into a temporary directory: a self-contained ES module for browsers (no import left,
 * so no `ws`), a Node module whose dependencies stay imports, declarations with `.js` specifiers,
 * and package.json's exports pointing at them ("browser" for bundlers; both entries declare the
 * same API, so one "types" serves them).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
// Under the repository, so the Node build's imports resolve from its node_modules.
const OUT = join(ROOT, 'test-artifacts', `client-build-${randomBytes(4).toString('hex')}`);

beforeAll(async () => {
  await promisify(execFile)(process.execPath, [join(ROOT, 'scripts', 'build-client.mjs'), '--out', OUT], { cwd: ROOT });
}, 180_000);
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

describe('signalbase/client build', () => {
  it('makes a browser module with nothing left to import, and a Node module importing its dependencies', async () => {
    // Loaded from a directory with no node_modules above it: an import left in it (ws, zod, …)
    // would fail to resolve, as it would in a page.
    const alone = mkdtempSync(join(tmpdir(), 'sb-browser-'));
    try {
      copyFileSync(join(OUT, 'client', 'browser.js'), join(alone, 'browser.mjs'));
      copyFileSync(join(OUT, 'client', 'browser.js.map'), join(alone, 'browser.js.map'));
      // In plain Node (vitest's own import would resolve bare names from the project).
      const url = pathToFileURL(join(alone, 'browser.mjs')).href;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(url)}); console.log(m.signalTopic('*'), typeof m.createSignalClient)`], { cwd: alone });
      expect(stdout.trim()).toBe('signals:all function');
    } finally {
      rmSync(alone, { recursive: true, force: true });
    }
    const node = readFileSync(join(OUT, 'client', 'index.js'), 'utf8');
    expect([...node.matchAll(/from\s*"([^"]+)"/g)].map((m) => m[1]).sort()).toEqual(['@supabase/supabase-js', 'ws', 'zod']);
  });

  it('runs in Node: the built module makes clients and checks their options', async () => {
    const mod = (await import(pathToFileURL(join(OUT, 'client', 'index.js')).href)) as typeof import('../../src/client/index.ts');
    expect(mod.signalTopic('LTC/BTC')).toBe('signals:LTC_BTC');
    expect(() => mod.createSignalClient({ transport: 'daemon', url: 'http://x', key: 'k' })).toThrow(mod.SignalClientError);
    const c = mod.createSignalClient({ transport: 'supabase', supabaseUrl: 'http://127.0.0.1:9', supabaseKey: 'k', catchUp: false });
    expect(c.status).toBe('connecting');
    await c.close();
  });

  it('declares both entries, with .js specifiers, where package.json exports them', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string>> };
    expect(pkg.exports['./client']).toEqual({ types: './dist/client/index.d.ts', browser: './dist/client/browser.js', default: './dist/client/index.js' });
    for (const entry of ['index', 'browser']) {
      const dts = readFileSync(join(OUT, 'client', `${entry}.d.ts`), 'utf8');
      expect(dts).toContain('export declare function createSignalClient');
      expect(existsSync(join(OUT, 'client', `${entry}.js`))).toBe(true);
    }
    const types = readFileSync(join(OUT, 'client', 'types.d.ts'), 'utf8');
    expect(types).toContain('subscribeToOutcomes');
    expect(types).not.toMatch(/from\s*'\.{1,2}\/[^']+\.ts'/);
    expect(existsSync(join(OUT, 'domain', 'signal.d.ts'))).toBe(true);
  });
});
