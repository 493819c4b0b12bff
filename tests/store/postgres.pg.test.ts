/** The Store contract on server Postgres, in a fresh schema of the test database, opened by openStore. */
import { describe } from 'vitest';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { createTestSchema, serverPostgres, silentLogger, testConfig } from '../helpers/pg.ts';
import { storeContract } from './contract.ts';

const pg = await serverPostgres();

describe.runIf(pg.available)('server Postgres', () => {
  storeContract('postgres (pg pool)', async () => {
    const ts = createTestSchema('sbt_contract');
    const config = testConfig({ DATABASE_URL: ts.url, SIGNALBASE_SCHEMA: ts.schema });
    const store = (await openStore(config, silentLogger(), { migrate: true })) as SqlStore;
    return {
      store,
      kind: 'postgres',
      sql: store.client,
      async close() {
        await store.close();
        await ts.drop();
      },
    };
  });
});
