/** The Supabase transport's catch-up on the embedded store (PGlite: one session). Cases: catch-up-cases.ts. */
import { memoryStore } from '../helpers/pg.ts';
import { catchUpCases } from './catch-up-cases.ts';

catchUpCases('embedded store', async () => {
  const store = await memoryStore('public');
  // The compatibility realtime.send keeps broadcasts only when the session asks.
  await store.client.exec(`SET signalbase.capture_broadcasts = 'on'`);
  return { store, schema: 'public', close: () => store.close() };
});
