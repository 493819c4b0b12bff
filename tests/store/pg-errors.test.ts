/**
 * Failure classification. The unreachable case is real (nothing listens on 127.0.0.1:1); the
 * SQLSTATE cases use error objects shaped as pg and PGlite raise them (code = SQLSTATE).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, StoreError } from '../../src/errors.ts';
import { describePgUrl, PgSqlClient } from '../../src/store/pg-client.ts';
import { toStoreError } from '../../src/store/pg-errors.ts';
import { silentLogger } from '../helpers/pg.ts';

describe('store errors', () => {
  it('an unreachable host is a retryable StoreError naming host:port, never the password', async () => {
    const db = new PgSqlClient({ url: 'postgres://u:secretpw@127.0.0.1:1/x', log: silentLogger(), connectTimeoutMs: 2_000 });
    try {
      const err = await db.query('SELECT 1').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: 'STORE_UNREACHABLE', retryable: true });
      expect((err as StoreError).message).toContain('127.0.0.1:1');
      expect(JSON.stringify({ m: (err as StoreError).message, c: (err as StoreError).context })).not.toContain('secretpw');
      const inTx = await db.transaction(async () => 1).catch((e: unknown) => e);
      expect(inTx).toMatchObject({ code: 'STORE_UNREACHABLE', retryable: true });
    } finally {
      await db.close();
      await db.close(); // idempotent
    }
  });

  it('a malformed DATABASE_URL is a ConfigError naming the variable', () => {
    expect(() => describePgUrl('not a url')).toThrow(ConfigError);
    expect(() => describePgUrl('mysql://u@h/db')).toThrow(/DATABASE_URL/);
    expect(describePgUrl('postgresql://u:p%40ss@db.example.com/app')).toEqual({
      location: 'db.example.com:5432/app',
      host: 'db.example.com',
      port: 5432,
      secret: 'p@ss',
    });
  });

  it.each([
    ['40001', 'STORE_CONFLICT', true], // serialization_failure
    ['40P01', 'STORE_CONFLICT', true], // deadlock_detected
    ['57P01', 'STORE_UNAVAILABLE', true], // admin_shutdown
    ['53300', 'STORE_UNAVAILABLE', true], // too_many_connections
    ['08006', 'STORE_UNREACHABLE', true], // connection_failure
    ['ECONNRESET', 'STORE_UNREACHABLE', true],
    ['23505', 'STORE_CONSTRAINT', false], // unique_violation
    ['42601', 'STORE_QUERY_FAILED', false], // syntax_error
    ['28P01', 'STORE_AUTH_FAILED', false], // invalid_password
    ['3D000', 'STORE_DATABASE_MISSING', false], // invalid_catalog_name
  ])('SQLSTATE %s is %s (retryable: %s)', (sqlState, code, retryable) => {
    const raw = Object.assign(new Error(`driver says ${sqlState}`), { code: sqlState });
    const err = toStoreError(raw, 'db.example.com:5432/app');
    expect(err).toMatchObject({ code, retryable });
    expect(err.cause).toBe(raw);
  });
});
