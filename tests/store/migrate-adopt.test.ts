/**
 * How the runner matches sql/ files to the Supabase CLI's record (no database): by version, the
 * CLI's split of the file name (supabase/cli pkg/migration/file.go, `^([0-9]+)_(.*)\.sql$`), and by
 * name when the CLI recorded one. The database scenarios are in migrate-adopt.pg.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { cliVersionOf, compareMigrations, loadMigrations } from '../../src/store/migrate.ts';

const FILES = loadMigrations();
const NAMES = FILES.map((f) => f.name);
const cliRecordOf = (names: string[]) => new Map(names.map((n) => [cliVersionOf(n).version, cliVersionOf(n).name]));

describe('matching sql/ to the Supabase CLI record', () => {
  it('splits a file name as the CLI does', () => {
    expect(cliVersionOf('20261122000100_tables.sql')).toEqual({ version: '20261122000100', name: 'tables' });
    expect(cliVersionOf('20261122001100_migration_adoption.sql')).toEqual({ version: '20261122001100', name: 'migration_adoption' });
  });

  it('a file the CLI recorded is applied and adoptable; others pend; the project`s own CLI migrations are ignored', () => {
    const cli = cliRecordOf(NAMES.slice(0, 3));
    cli.set('20250101000000', 'create_profiles');
    const s = compareMigrations(FILES, null, cli);
    expect(s).toEqual({ applied: NAMES.slice(0, 3), adoptable: NAMES.slice(0, 3), pending: NAMES.slice(3), changed: [], unknown: [] });
  });

  it('a version recorded under another name is another migration: the file still pends', () => {
    const { version } = cliVersionOf(NAMES[1]!);
    expect(compareMigrations(FILES, null, new Map([[version, 'something_else']])).pending).toContain(NAMES[1]);
    // An old CLI recorded no name (its name column came later): the version alone decides.
    expect(compareMigrations(FILES, null, new Map([[version, '']])).adoptable).toEqual([NAMES[1]]);
  });

  it('a file recorded by signalbase is checked by checksum, whatever the CLI says', () => {
    const own = new Map(FILES.map((f) => [f.name, f.checksum]));
    own.set(NAMES[0]!, 'edited');
    const s = compareMigrations(FILES, own, cliRecordOf(NAMES));
    expect(s.changed).toEqual([NAMES[0]]);
    expect(s.adoptable).toEqual([]);
  });
});
