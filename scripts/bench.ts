/**
 * `npm run bench -- --json`: one JSON object, every figure measured in this run on this machine
 * (DESIGN.md "Bench"). Each part lives in scripts/bench/<part>.ts. A part that does not exist yet
 * prints null rather than a made-up figure, and says so on stderr.
 */
import { parseArgs } from 'node:util';

const PARTS = ['indicators', 'inference', 'pipeline', 'memory'] as const;
type Part = (typeof PARTS)[number];

const { values } = parseArgs({
  options: { json: { type: 'boolean', default: false }, only: { type: 'string' } },
  allowPositionals: false,
});
const selected: Part[] = values.only ? (values.only.split(',') as Part[]) : [...PARTS];
for (const p of selected) {
  if (!PARTS.includes(p)) {
    process.stderr.write(`bench: unknown part '${p}' (parts: ${PARTS.join(', ')})\n`);
    process.exit(2);
  }
}

const result: Record<string, unknown> = {};
for (const part of selected) {
  const started = Date.now();
  process.stderr.write(`bench: ${part}...\n`);
  let mod: Record<string, unknown>;
  try {
    mod = await import(`./bench/${part}.ts`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(`bench/${part}`)) {
      process.stderr.write(`bench: ${part}: not implemented yet, reported as null\n`);
      result[part] = null;
      continue;
    }
    throw err;
  }
  const fn = mod[`bench${part[0]!.toUpperCase()}${part.slice(1)}`] as () => Promise<unknown>;
  result[part] = await fn();
  process.stderr.write(`bench: ${part} done in ${((Date.now() - started) / 1000).toFixed(1)}s\n`);
}

if (values.json) {
  process.stdout.write(`${JSON.stringify(result)}\n`);
} else {
  for (const [part, figures] of Object.entries(result)) {
    process.stdout.write(`${part}\n`);
    for (const [k, v] of Object.entries((figures ?? {}) as Record<string, unknown>)) process.stdout.write(`  ${k.padEnd(32)} ${String(v)}\n`);
    if (figures === null) process.stdout.write('  (not implemented yet)\n');
  }
}
