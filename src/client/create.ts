/** The one factory behind both entry points (index.ts for Node, browser.ts for browsers). */
import { DaemonSignalClient } from './daemon-transport.ts';
import { SignalClientError } from './errors.ts';
import type { ClientPlatform } from './platform.ts';
import { SupabaseSignalClient } from './supabase-transport.ts';
import type { SignalClient, SignalClientOptions } from './types.ts';

export function createClientOn(platform: ClientPlatform, opts: SignalClientOptions): SignalClient {
  switch (opts.transport) {
    case 'daemon':
      return new DaemonSignalClient(opts, platform);
    case 'supabase':
      return new SupabaseSignalClient(opts, platform);
    default:
      throw new SignalClientError('INVALID_OPTIONS', `unknown transport '${(opts as { transport?: unknown }).transport}'; use 'daemon' or 'supabase'`);
  }
}
