/** openStore on the embedded store: refuses an unmigrated schema, one opener at a time, data persists. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { openStore } from '../../src/store/index.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';
import { sampleCandles } from './fixtures.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'sb-open-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('openStore (embedded)', () => {
  const config = testConfig({ SIGNALBASE_DATA_DIR: dataDir });

  it('refuses a store with pending migrations unless asked to migrate, and releases it again', async () => {
    const err = await openStore(config, silentLogger()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).code).toBe('SCHEMA_NOT_MIGRATED');
    expect((err as StoreError).message).toContain('signalbase migrate');
  });

  it('belongs to one opener at a time, and keeps its data across a reopen', async () => {
    const store = await openStore(config, silentLogger(), { migrate: true });
    const candles = sampleCandles('LTC_BTC-5m', 5);
    try {
      expect(store.info).toMatchObject({ kind: 'embedded', location: join(dataDir, 'pg'), schema: 'public', supportsLeadership: false });
      await store.upsertCandles(candles);
      const second = await openStore(config, silentLogger()).catch((e: unknown) => e);
      expect(second).toMatchObject({ code: 'STORE_LOCKED' });
      expect((second as StoreError).message).toContain(`process ${process.pid}`);
    } finally {
      await store.close();
      await store.close(); // idempotent
    }
    const reopened = await openStore(config, silentLogger());
    try {
      expect(await reopened.readCandles({ symbol: 'LTC/BTC', timeframe: '5m' })).toEqual(candles);
    } finally {
      await reopened.close();
    }
  });
});
