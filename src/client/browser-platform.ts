/**
 * The client in a browser: the platform WebSocket. It cannot set headers, so the daemon's key
 * goes in `?key=` (DESIGN.md "Websocket stream" accepts it); pings are answered by the browser
 * unseen, and a refused upgrade looks like any failed connection (so it is retried with backoff).
 * realtime-js uses the platform WebSocket itself.
 */
import type { ClientPlatform, DaemonSocket, DaemonSocketEvents } from './platform.ts';

/** The part of the WHATWG WebSocket used here (the project's lib has no DOM types). */
interface BrowserWebSocket {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', cb: () => void): void;
  addEventListener(type: 'message', cb: (e: { data: unknown }) => void): void;
  addEventListener(type: 'close', cb: (e: { code: number; reason: string }) => void): void;
}

const OPEN = 1;
const CLOSED = 3;

function openDaemonSocket(url: string, key: string, on: DaemonSocketEvents): DaemonSocket {
  const Ctor = (globalThis as unknown as { WebSocket?: new (url: string) => BrowserWebSocket }).WebSocket;
  if (!Ctor) throw new Error('this runtime has no WebSocket; in Node import signalbase/client (not the browser build)');
  const u = new URL(url);
  u.searchParams.set('key', key);
  const ws = new Ctor(u.toString());
  let closed = false;
  let closedWaiters: (() => void)[] = [];
  ws.addEventListener('open', () => on.open());
  ws.addEventListener('error', () => on.error('the WebSocket failed', undefined));
  ws.addEventListener('message', (e) => (typeof e.data === 'string' ? on.message(e.data) : on.binary()));
  ws.addEventListener('close', (e) => {
    closed = true;
    on.close(e.code, e.reason);
    for (const w of closedWaiters) w();
    closedWaiters = [];
  });
  return {
    get isOpen() {
      return ws.readyState === OPEN;
    },
    send: (text) => ws.send(text),
    // A browser socket cannot be dropped without a close handshake; close() starts it and the
    // page learns of the end through 'close'.
    terminate: () => ws.close(4000, 'presumed dead'),
    close(waitMs) {
      if (closed || ws.readyState === CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        closedWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
        ws.close(1000, 'client closed');
      });
    },
  };
}

export const browserPlatform: ClientPlatform = {
  seesPings: false,
  openDaemonSocket,
  realtimeTransport: () => undefined,
};
