/**
 * The README's "Sinks" section says what the code does: its sink file (one of each kind) passes the
 * validator the daemon runs at start, and its "What arrives" block is exactly what the kinds'
 * formatters produce for the example events (scripts/sink-examples.ts, which prints the same).
 */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { sinkExamples } from '../../../scripts/sink-examples.ts';
import { parseSinks, SINK_KIND_NAMES } from '../../../src/signals/sinks/sinks-file.ts';

const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('\n## Sinks\n'), readme.indexOf('\n## ', readme.indexOf('\n## Sinks\n') + 5));

/** The first fenced block of `lang` after `after` in the Sinks section. */
function block(lang: string, after = ''): string {
  const from = section.indexOf(after);
  const open = section.indexOf(`\`\`\`${lang}\n`, from);
  expect(from).toBeGreaterThanOrEqual(0);
  expect(open).toBeGreaterThan(0);
  const start = open + lang.length + 4;
  return section.slice(start, section.indexOf('\n```', start));
}

it("the README's sink file is valid and has one sink of each kind", () => {
  const file = parseSinks(parseYaml(block('yaml')));
  expect(file.sinks.map((s) => s.kind).sort()).toEqual([...SINK_KIND_NAMES].sort());
  expect(file.alerts).toEqual(parseSinks({}).alerts); // "these are the defaults"
});

it("the README's messages are exactly what the formatters send", () => {
  expect(block('text', '**What arrives**')).toBe(sinkExamples());
});
