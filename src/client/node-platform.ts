/**
 * The client in Node: sockets from `ws`, which can send `Authorization`, report pings and tell
 * a refused upgrade's HTTP status (a 401 ends the client instead of retrying forever).
 */
import WebSocket from 'ws';
import type { ClientPlatform, DaemonSocket, DaemonSocketEvents } from './platform.ts';

function openDaemonSocket(url: string, key: string, on: DaemonSocketEvents): DaemonSocket {
  const ws = new WebSocket(url, { headers: { Authorization: `Bearer ${key}` }, handshakeTimeout: 10_000 });
  ws.on('unexpected-response', (_req, res) => {
    const retryAfter = Number(res.headers['retry-after']);
    on.refused(res.statusCode ?? 0, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : 0);
    res.resume();
    ws.terminate(); // → 'close'
  });
  ws.on('error', (err) => on.error(err.message, err));
  ws.on('open', () => on.open());
  ws.on('ping', () => on.ping());
  ws.on('message', (data, isBinary) => {
    if (isBinary) return on.binary();
    on.message(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8'));
  });
  ws.on('close', (code, reason) => on.close(code, reason.toString()));
  return {
    get isOpen() {
      return ws.readyState === WebSocket.OPEN;
    },
    send: (text) => ws.send(text),
    terminate: () => ws.terminate(),
    close(waitMs) {
      if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          ws.terminate();
          resolve();
        }, waitMs);
        ws.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
        if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'client closed');
        else ws.terminate();
      });
    },
  };
}

/**
 * ws, telling `onRefused` the HTTP status when the server answers the upgrade with one (realtime-js
 * sees only a closed socket). Without a listener ws would emit an error; this one ends the attempt.
 */
function refusalAwareWebSocket(onRefused: (status: number) => void): new (address: string, protocols?: string | string[]) => WebSocket {
  return class extends WebSocket {
    constructor(address: string, protocols?: string | string[]) {
      super(address, protocols);
      this.on('unexpected-response', (_req, res) => {
        onRefused(res.statusCode ?? 0);
        res.resume();
        this.terminate();
      });
    }
  };
}

export const nodePlatform: ClientPlatform = {
  seesPings: true,
  openDaemonSocket,
  realtimeTransport: refusalAwareWebSocket,
};
