/** The migration runner on embedded PGlite (one in-memory instance, one schema per test). */
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { checkServerVersion } from '../../src/store/migrate.ts';
import { PgliteSqlClient } from '../../src/store/pglite-client.ts';
import type { SqlExecutor } from '../../src/store/sql-client.ts';
import { inMemoryTarget, migrationSuite } from './migrate.suite.ts';

migrationSuite('embedded (PGlite)', () => inMemoryTarget(() => PgliteSqlClient.open()));

describe('server version check', () => {
  // No PostgreSQL 13 server is at hand, so this one branch uses an executor that answers the
  // version query the way a 13.x server does (server_version_num 130016).
  const pg13: SqlExecutor = {
    async query<R>() {
      return { rows: [{ num: '130016', version: '13.16' }] as R[], rowCount: 1 };
    },
    async exec() {},
  };

  it('refuses PostgreSQL older than 14 with the minimum and the way around it', async () => {
    const err = await checkServerVersion(pg13).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('PG_VERSION_UNSUPPORTED');
    expect((err as StoreError).message).toContain('13.16');
    expect((err as StoreError).message).toContain('PostgreSQL 14 or newer');
  });
});
