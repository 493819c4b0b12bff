/**
 * The Supabase project layout (DESIGN.md "Store schema"): supabase/migrations holds exactly the
 * files of sql/, byte for byte, so `supabase db push` and `signalbase migrate` apply the same
 * migrations. The repository keeps one source: supabase/migrations is a symlink to ../sql, so a new
 * sql/ file is in supabase/migrations the moment it exists. This fails if the link becomes a copy
 * that differs (a file missing, extra or changed), and if config.toml lacks what the CLI needs.
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SQL = `${ROOT}sql/`;
const MIGRATIONS = `${ROOT}supabase/migrations/`;

const sqlFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();

describe('supabase/ layout', () => {
  it('supabase/migrations has the same files as sql/, byte for byte', () => {
    const ours = sqlFiles(SQL);
    expect(ours.length).toBeGreaterThan(0);
    expect(sqlFiles(MIGRATIONS)).toEqual(ours);
    for (const f of ours) expect(readFileSync(`${MIGRATIONS}${f}`, 'utf8'), f).toBe(readFileSync(`${SQL}${f}`, 'utf8'));
  });

  it('is one source: supabase/migrations is a symlink to ../sql, not a copy', () => {
    const link = `${ROOT}supabase/migrations`;
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('../sql');
  });

  it('config.toml names the project, enables migrations, and sets verify_jwt for every function', () => {
    const toml = readFileSync(`${ROOT}supabase/config.toml`, 'utf8');
    expect(toml).toMatch(/^project_id = "signalbase"$/m);
    expect(toml).toMatch(/\[db\.migrations\]\nenabled = true/);
    const functions = readdirSync(`${ROOT}supabase/functions`, { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
      .map((d) => d.name)
      .sort();
    expect(functions.length).toBeGreaterThan(0);
    const configured = [...toml.matchAll(/^\[functions\.([a-z0-9-]+)\]\nverify_jwt = (true|false)$/gm)].map((m) => m[1]).sort();
    expect(configured).toEqual(functions);
  });
});
