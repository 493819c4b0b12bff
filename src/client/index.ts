/**
 * signalbase/client: realtime signals for consumers (issue 7).
 *
 *   const client = createSignalClient({ transport: 'daemon', url: 'ws://127.0.0.1:8787/v1/stream', key });
 *   client.subscribeToPredictions('LTC/BTC', (signal) => ...);
 *   client.onStatus((e) => ...);            // connecting / open / reconnecting / closed
 *   await client.close();
 *
 * Transports share this API: 'daemon' (the daemon's /v1/stream, with since-resume across
 * reconnects) is implemented; 'supabase' (Supabase Realtime) is declared and refused for now.
 * Engine-free: nothing here imports the daemon, the store or the model.
 */
import { DaemonSignalClient } from './daemon-transport.ts';
import { SignalClientError } from './errors.ts';
import type { SignalClient, SignalClientOptions } from './types.ts';

export function createSignalClient(opts: SignalClientOptions): SignalClient {
  switch (opts.transport) {
    case 'daemon':
      return new DaemonSignalClient(opts);
    case 'supabase':
      throw new SignalClientError('TRANSPORT_NOT_IMPLEMENTED', "the 'supabase' transport is not implemented yet; use transport: 'daemon'");
    default:
      throw new SignalClientError('INVALID_OPTIONS', `unknown transport '${(opts as { transport?: unknown }).transport}'; use 'daemon'`);
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
