/**
 * .env.example is the operator's list of every setting: it must name each variable src/config.ts
 * knows (a variable added to the schema without a line there fails here), each exactly once.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ENV_VARIABLES, loadConfig } from '../../src/config.ts';

const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
/** `# NAME=value` or `NAME=value` lines: the variables the file lists. */
const listed = [...example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!);

describe('.env.example', () => {
  it('lists every variable the config schema knows', () => {
    expect(ENV_VARIABLES.length).toBeGreaterThan(20);
    expect(ENV_VARIABLES.filter((v) => !listed.includes(v))).toEqual([]);
  });

  it('lists each variable once', () => {
    expect(listed.filter((v, i) => listed.indexOf(v) !== i)).toEqual([]);
  });

  it('its example values are accepted by the config schema', () => {
    const known = new Set<string>(ENV_VARIABLES);
    const env: Record<string, string> = {};
    for (const m of example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)) {
      const [, name, value] = m as unknown as [string, string, string];
      // Secrets and URLs are left blank or point at real services: only the values with a default.
      if (known.has(name) && value !== '' && !/URL|KEY|TOKEN|ACCOUNT/.test(name)) env[name] = value;
    }
    expect(Object.keys(env).length).toBeGreaterThan(15);
    expect(() => loadConfig(env)).not.toThrow();
  });
});
