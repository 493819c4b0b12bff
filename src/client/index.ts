/**
 * signalbase/client: realtime signals for consumers, in Node (this entry, sockets from `ws`) and
 * in browsers (browser.ts, built to dist/client/browser.js: the platform WebSocket, no `ws`).
 *
 *   const client = createSignalClient({ transport: 'daemon', url: 'ws://127.0.0.1:8787/v1/stream', key });
 *   client.subscribeToPredictions('LTC/BTC', (signal) => ...);
 *   client.subscribeToOutcomes('LTC/BTC', (outcome) => ...);   // TP_HIT / SL_HIT / EXPIRED / NO_TRADE, once each
 *   client.onStatus((e) => ...);            // connecting / open / reconnecting / closed
 *   await client.close();
 *
 *   const client = createSignalClient({ transport: 'supabase', supabaseUrl: 'https://<ref>.supabase.co', supabaseKey: anonKey, accessToken: userJwt });
 *
 * Transports share this API: 'daemon' (the daemon's /v1/stream, with since-resume across
 * reconnects) and 'supabase' (Supabase Realtime: Broadcast or postgres_changes, with a REST
 * catch-up after each reconnect, so neither leaves a gap or repeats a signal).
 * Engine-free: nothing here imports the daemon, the store or the model.
 */
import { createClientOn } from './create.ts';
import { nodePlatform } from './node-platform.ts';
import type { SignalClient, SignalClientOptions } from './types.ts';

export function createSignalClient(opts: SignalClientOptions): SignalClient {
  return createClientOn(nodePlatform, opts);
}

export * from './api.ts';
