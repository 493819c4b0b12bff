/**
 * The import rules of src/ (docs/architecture.md "Layers"), checked on every test run so they stay
 * true as the code moves:
 *
 * 1. `src/domain/` is the floor: it imports nothing else of the project; nor does `src/files/`.
 * 2. No circle between folders (a root file such as `config.ts` counts as its own folder).
 * 3. The engine folders (features, model, signals, drift) never import an adapter: not ws, pg,
 *    PGlite or supabase-js, and of `src/store/` only the port (`store/store.ts`, `store/types.ts`).
 *
 * Imports are read with the TypeScript parser: static imports and re-exports (type-only ones too),
 * dynamic `import()`, and `new URL('./x', import.meta.url)` worker entries.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = path.resolve(import.meta.dirname, '../../src');
const ENGINE = ['features', 'model', 'signals', 'drift'];
const STORE_PORT = ['store/store.ts', 'store/types.ts'];
const ADAPTER_PACKAGES = /^(ws|pg|@electric-sql\/pglite|@supabase\/[^/]+)(\/.*)?$/;

interface Edge {
  from: string; // path relative to src/
  spec: string; // as written
  to: string | null; // path relative to src/ for a project import, else null (a package)
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mts|mjs|js)$/.test(e.name)) out.push(p);
  }
  return out;
}

function importsOf(file: string): Edge[] {
  const text = fs.readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const from = path.relative(SRC, file);
  const edges: Edge[] = [];
  const add = (spec: string): void => {
    const to = spec.startsWith('.') ? path.relative(SRC, path.resolve(path.dirname(file), spec)) : null;
    edges.push({ from, spec, to });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      if (arg && ts.isStringLiteral(arg)) add(arg.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node.argument.literal.text);
    } else if (
      ts.isNewExpression(node) &&
      node.expression.getText(sf) === 'URL' &&
      node.arguments?.length === 2 &&
      node.arguments[1]!.getText(sf) === 'import.meta.url'
    ) {
      const arg = node.arguments[0]!;
      // Only module entries; directory URLs (data, sql, static assets) are not imports.
      if (ts.isStringLiteral(arg) && /\.(ts|mts|mjs|js)$/.test(arg.text)) add(arg.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return edges;
}

/** `domain/candle.ts` -> `domain`; a file directly in src/ is its own folder (`config.ts`). */
function folderOf(rel: string): string {
  return rel.split(path.sep)[0]!;
}

/** Strongly connected components of more than one folder (Tarjan). */
function folderCycles(edges: readonly Edge[]): string[][] {
  const adj = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.to === null || e.to.startsWith('..')) continue;
    const a = folderOf(e.from);
    const b = folderOf(e.to);
    if (a === b) continue;
    if (!adj.has(a)) adj.set(a, new Set());
    if (!adj.has(b)) adj.set(b, new Set());
    adj.get(a)!.add(b);
  }
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const strong = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of adj.get(v) ?? []) {
      if (!index.has(w)) {
        strong(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of [...adj.keys()].sort()) if (!index.has(v)) strong(v);
  return out;
}

const edges = sourceFiles(SRC).flatMap(importsOf);
const show = (e: Edge): string => `${e.from} -> ${e.spec}`;

describe('src/ import rules', () => {
  it('reads the import graph (the rules below are not vacuous)', () => {
    expect(edges.filter((e) => e.from.startsWith(`domain${path.sep}`) && e.to?.startsWith(`domain${path.sep}`)).length).toBeGreaterThan(0);
    expect(edges.filter((e) => ENGINE.includes(folderOf(e.from)) && e.to?.startsWith(`store${path.sep}`)).length).toBeGreaterThan(0);
  });

  it('domain/ imports nothing else of the project', () => {
    const bad = edges.filter((e) => folderOf(e.from) === 'domain' && e.to !== null && folderOf(e.to) !== 'domain');
    expect(bad.map(show)).toEqual([]);
  });

  it('files/ (the on-disk base under the outbox journal and the sink queues) imports nothing of the project', () => {
    // signals/ (engine) and store/ (adapter) both build on it, so it must sit below both.
    const bad = edges.filter((e) => folderOf(e.from) === 'files' && e.to !== null && folderOf(e.to) !== 'files');
    expect(bad.map(show)).toEqual([]);
  });

  it('has no circle between folders', () => {
    const cycles = folderCycles(edges).map((scc) => {
      const inside = edges.filter((e) => e.to !== null && scc.includes(folderOf(e.from)) && scc.includes(folderOf(e.to)) && folderOf(e.from) !== folderOf(e.to));
      return `${scc.join(' <-> ')}: ${inside.map(show).join('; ')}`;
    });
    expect(cycles).toEqual([]);
  });

  it('engine folders import no adapter: no ws/pg/PGlite/supabase-js, and of store/ only the port', () => {
    const bad = edges.filter((e) => {
      if (!ENGINE.includes(folderOf(e.from))) return false;
      if (e.to === null) return ADAPTER_PACKAGES.test(e.spec);
      return folderOf(e.to) === 'store' && !STORE_PORT.includes(e.to.split(path.sep).join('/'));
    });
    expect(bad.map(show)).toEqual([]);
  });

  it('the cycle finder finds a circle (self-check)', () => {
    const made: Edge[] = [
      { from: 'a/x.ts', spec: '../b/y.ts', to: 'b/y.ts' },
      { from: 'b/y.ts', spec: '../c/z.ts', to: 'c/z.ts' },
      { from: 'c/z.ts', spec: '../a/x.ts', to: 'a/x.ts' },
      { from: 'c/z.ts', spec: '../d/w.ts', to: 'd/w.ts' },
    ];
    expect(folderCycles(made)).toEqual([['a', 'b', 'c']]);
  });
});
