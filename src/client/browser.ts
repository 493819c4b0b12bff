/**
 * signalbase/client for browsers (package.json exports "./client" → "browser"): the same API as
 * index.ts over the platform WebSocket, without `ws`. Built to dist/client/browser.js, an ES
 * module with its dependencies bundled (scripts/build-client.mjs), so a page can import it from a
 * static server: see examples/browser/.
 */
import { browserPlatform } from './browser-platform.ts';
import { createClientOn } from './create.ts';
import type { SignalClient, SignalClientOptions } from './types.ts';

export function createSignalClient(opts: SignalClientOptions): SignalClient {
  return createClientOn(browserPlatform, opts);
}

export * from './api.ts';
