/** What both entry points export besides createSignalClient (index.ts: Node, browser.ts: browsers). */
export { SignalClientError, type ClientErrorCode } from './errors.ts';
export { normalizeSymbol } from './client-base.ts';
export { signalTopic } from './supabase-transport.ts';
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
  SignalOutcome,
  StatusEvent,
  Subscription,
  SupabaseTransportOptions,
  WeightUpdate,
} from './types.ts';
