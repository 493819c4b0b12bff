/**
 * A throw-away in-memory store (PGlite, current schema): the registry of a simulation such as the
 * walk-forward backtest, so its per-fold models, weights and drift records never reach the
 * operator's store. One process, no lock file, gone when closed.
 */
import { PgliteSqlClient } from './pglite-client.ts';
import { SoleLeadership } from './leadership.ts';
import { checkServerVersion, migrate } from './migrate.ts';
import { SqlStore } from './sql-store.ts';

export async function openScratchStore(): Promise<SqlStore> {
  const client = await PgliteSqlClient.open();
  try {
    const serverVersion = await checkServerVersion(client);
    await migrate(client, { schema: 'public' });
    return new SqlStore(client, { schema: 'public', leadership: new SoleLeadership(), serverVersion });
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}
