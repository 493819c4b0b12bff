/**
 * The Realtime socket's URL and its clean close, shared by the Supabase transport (and kept out
 * of it so it stays one concern a file).
 */
import type { RealtimeClient } from '@supabase/supabase-js';
import { SignalClientError } from './errors.ts';

/** The project URL checked: http(s)://host[/path], without a trailing slash. */
function projectUrl(supabaseUrl: string): URL {
  let url: URL;
  try {
    url = new URL(supabaseUrl);
  } catch {
    throw new SignalClientError('INVALID_OPTIONS', `supabaseUrl '${supabaseUrl}' is not a URL; expected https://<project-ref>.supabase.co`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new SignalClientError('INVALID_OPTIONS', `supabaseUrl '${supabaseUrl}' must be http:// or https:// (the project URL, e.g. https://<ref>.supabase.co)`);
  }
  return url;
}

/** The Realtime socket URL supabase-js derives from the project URL: ws(s)://host/realtime/v1. */
export function realtimeUrl(supabaseUrl: string): string {
  const url = projectUrl(supabaseUrl);
  const rt = new URL('realtime/v1', url.href.endsWith('/') ? url.href : `${url.href}/`);
  rt.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return rt.href;
}

/** The REST (PostgREST) base supabase-js derives from the project URL: http(s)://host/rest/v1. */
export function restUrl(supabaseUrl: string): string {
  const url = projectUrl(supabaseUrl);
  return new URL('rest/v1', url.href.endsWith('/') ? url.href : `${url.href}/`).href.replace(/\/$/, '');
}

interface PhoenixSocketLike {
  disconnect(callback?: () => void, code?: number, reason?: string): void;
}

/**
 * Closes the socket (code 1000) with no timer left behind. realtime-js 2.109's disconnect() arms a
 * 10 s timer it never clears and removing the last channel arms a deferred disconnect, so a CLI
 * that closes would linger that long; its phoenix socket's own disconnect (what disconnect() calls
 * underneath) has neither. Falls back to disconnect() if those internals move.
 */
export function closeSocket(realtime: RealtimeClient): void {
  const internals = realtime as unknown as { socketAdapter?: { getSocket?: () => PhoenixSocketLike }; _cancelPendingDisconnect?: () => void };
  const socket = internals.socketAdapter?.getSocket?.();
  if (socket && typeof socket.disconnect === 'function') {
    if (typeof internals._cancelPendingDisconnect === 'function') internals._cancelPendingDisconnect.call(realtime);
    socket.disconnect(undefined, 1000, 'client closed');
  } else {
    void realtime.disconnect(1000, 'client closed');
  }
}
