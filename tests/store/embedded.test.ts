/** The Store contract on the embedded store (PGlite in a temp SIGNALBASE_DATA_DIR), opened by openStore. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../src/store/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { silentLogger, testConfig } from '../helpers/pg.ts';
import { storeContract } from './contract.ts';

storeContract('embedded (PGlite)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sb-embedded-'));
  const config = testConfig({ SIGNALBASE_DATA_DIR: dir });
  const store = (await openStore(config, silentLogger(), { migrate: true })) as SqlStore;
  return {
    store,
    kind: 'embedded',
    sql: store.client,
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
