/**
 * package.json `files`: what a consumer installs (`npm pack --dry-run` lists it). The daemon's
 * runtime reads bin/, src/ (including the dashboard's static files), sql/ and the bundled sample;
 * every `exports` and `bin` target present on disk is packed; nothing of the development setup is.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as {
  bin: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
};

async function packedFiles(): Promise<string[]> {
  const npmCli = process.env.npm_execpath;
  const [cmd, pre] = npmCli?.endsWith('.js') ? [process.execPath, [npmCli]] : ['npm', []];
  const { stdout } = await promisify(execFile)(cmd, [...pre, 'pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
}

describe('npm pack', () => {
  it('ships what the daemon and the client read at run time, and none of the development setup', async () => {
    const files = await packedFiles();
    const has = (re: RegExp) => files.some((f) => re.test(f));
    expect(files).toContain('bin/signalbase.js');
    expect(files).toContain('src/cli/main.ts');
    expect(files).toContain('.env.example');
    expect(files.filter((f) => /^sql\/\d+_.*\.sql$/.test(f)).length).toBeGreaterThan(5);
    expect(files.filter((f) => /^data\/sample\/.*\.json$/.test(f))).toHaveLength(4);
    expect(has(/^src\/serve\/dashboard\//)).toBe(true);

    const targets = [
      ...Object.values(pkg.bin),
      ...Object.values(pkg.exports).flatMap((t) => (typeof t === 'string' ? [t] : Object.values(t))),
    ].map((t) => t.replace(/^\.\//, ''));
    for (const t of targets.filter((t) => existsSync(`${ROOT}${t}`))) expect(files, `${t} is exported but not packed`).toContain(t);

    for (const dev of [/^tests\//, /^scripts\//, /^\.ci\//, /^docs\//, /^Dockerfile$/, /^\.dockerignore$/, /^\.npmrc$/, /^node_modules\//, /^test-artifacts\//, /^eslint\.config/, /^vitest\.config/]) {
      expect(files.filter((f) => dev.test(f)), String(dev)).toEqual([]);
    }
  }, 60_000);
});
