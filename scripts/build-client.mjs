// Builds signalbase/client for consumers (`npm run build:client`; `npm pack` runs it as prepack):
//
//   dist/client/browser.js   ES module for browsers: src/client/browser.ts with its dependencies
//                            (realtime-js, zod) bundled, the platform WebSocket, no `ws`; a page can
//                            import it from any static server (examples/browser/).
//   dist/client/index.js     ES module for Node: src/client/index.ts, dependencies left as imports.
//   dist/client/*.d.ts       declarations for both (and dist/domain/*.d.ts they refer to).
//
// Nothing else depends on it: the daemon, the CLI and the tests run the TypeScript sources.
// `--out DIR` writes under DIR instead of dist/ (the tests build into a temporary directory);
// `--js-only` skips the declarations (the browser test needs only browser.js).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIx = process.argv.indexOf('--out');
const OUT = outIx > 0 ? resolve(process.argv[outIx + 1]) : join(ROOT, 'dist');
const CLIENT = join(OUT, 'client');
const JS_ONLY = process.argv.includes('--js-only');

rmSync(CLIENT, { recursive: true, force: true });

const common = { bundle: true, format: 'esm', target: 'es2022', sourcemap: true, logLevel: 'warning', absWorkingDir: ROOT };
const browser = await build({
  ...common,
  entryPoints: ['src/client/browser.ts'],
  outfile: join(CLIENT, 'browser.js'),
  platform: 'browser',
  minify: true,
  metafile: true,
});
await build({ ...common, entryPoints: ['src/client/index.ts'], outfile: join(CLIENT, 'index.js'), platform: 'node', packages: 'external' });

// The browser build must not carry a Node-only module (ws, node:*): it would fail to load there.
const inputs = Object.keys(browser.metafile.inputs);
const nodeOnly = inputs.filter((p) => /(^|\/)node_modules\/ws\//.test(p) || p.startsWith('node:'));
if (nodeOnly.length > 0) throw new Error(`the browser build includes Node-only modules: ${nodeOnly.join(', ')}`);

const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
if (!JS_ONLY) await promisify(execFile)(process.execPath, [
  tsc, 'src/client/index.ts', 'src/client/browser.ts',
  '--declaration', '--emitDeclarationOnly', '--outDir', OUT, '--rootDir', 'src',
  '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--lib', 'ES2023', '--types', 'node',
  '--strict', '--skipLibCheck', '--esModuleInterop', '--verbatimModuleSyntax', '--isolatedModules',
  '--allowImportingTsExtensions', '--rewriteRelativeImportExtensions',
], { cwd: ROOT }).catch((err) => {
  throw new Error(`declarations failed:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
});

// Declarations keep the sources' `.ts` specifiers; a consumer resolves the `.js` beside each `.d.ts`.
for (const f of JS_ONLY ? [] : walk(OUT)) {
  if (!f.endsWith('.d.ts')) continue;
  const text = readFileSync(f, 'utf8');
  writeFileSync(f, text.replace(/(from\s+['"])(\.{1,2}\/[^'"]+)\.ts(['"])/g, '$1$2.js$3'));
}

const size = (f) => readFileSync(join(CLIENT, f)).length;
console.log(`signalbase/client built in ${OUT}: browser.js ${size('browser.js')} bytes, index.js ${size('index.js')} bytes`);

function* walk(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) yield* walk(join(dir, e.name));
    else yield join(dir, e.name);
  }
}
