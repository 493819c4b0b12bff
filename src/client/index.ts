/**
 * signalbase/client: realtime signals for consumers (issue 7).
 *
 *   const client = createSignalClient({ transport: 'daemon', url: 'ws://127.0.0.1:8787/v1/stream', key });
 *   client.subscribeToPredictions('LTC/BTC', (signal) => ...);
 *   client.onStatus((e) => ...);            // connecting / open / reconnecting / closed
 *   await client.close();
 *
 *   const client = createSignalClient({ transport: 'supabase', supabaseUrl: 'https://<ref>.supabase.co', supabaseKey: anonKey });
 *
 * Transports share this API: 'daemon' (the daemon's /v1/stream, with since-resume across
 * reconnects) and 'supabase' (Supabase Realtime postgres_changes on the published ml_* tables,
 * reconnecting as realtime-js does; no replay of what was missed while disconnected).
 * Engine-free: nothing here imports the daemon, the store or the model.
 */
import { DaemonSignalClient } from './daemon-transport.ts';
import { SignalClientError } from './errors.ts';
import { SupabaseSignalClient } from './supabase-transport.ts';
import type { SignalClient, SignalClientOptions } from './types.ts';

export function createSignalClient(opts: SignalClientOptions): SignalClient {
  switch (opts.transport) {
    case 'daemon':
      return new DaemonSignalClient(opts);
    case 'supabase':
      return new SupabaseSignalClient(opts);
    default:
      throw new SignalClientError('INVALID_OPTIONS', `unknown transport '${(opts as { transport?: unknown }).transport}'; use 'daemon' or 'supabase'`);
  }
}

export { SignalClientError, type ClientErrorCode } from './errors.ts';
export { normalizeSymbol } from './daemon-transport.ts';
export type {
  BackoffOptions,
  ClientStatus,
  DaemonTransportOptions,
  Direction,
  DriftUpdate,
  ModelUpdate,
  Signal,
  SignalClient,
  SignalClientOptions,
  StatusEvent,
  Subscription,
  SupabaseTransportOptions,
  WeightUpdate,
} from './types.ts';
