/**
 * What the client needs from its runtime, so one client runs in Node (ws) and in a browser (the
 * platform WebSocket, which cannot set headers and does not show pings or refused upgrades):
 * node-platform.ts and browser-platform.ts implement it; index.ts and browser.ts pick one.
 */

/** What a daemon stream socket reports. */
export interface DaemonSocketEvents {
  open(): void;
  message(text: string): void;
  /** A binary frame (the daemon sends none): reported and ignored. */
  binary(): void;
  /** A ping from the server (Node only). */
  ping(): void;
  /** The upgrade was answered with this HTTP status (Node only; a browser sees a close). */
  refused(status: number, retryAfterMs: number): void;
  error(message: string, cause: unknown): void;
  /** The socket closed (after open, or when it never opened). Called once. */
  close(code: number, reason: string): void;
}

export interface DaemonSocket {
  readonly isOpen: boolean;
  send(text: string): void;
  /** Closes with 1000; resolves once closed, or after `waitMs` (then the socket is dropped). */
  close(waitMs: number): Promise<void>;
  /** Drops the socket at once (a dead connection). */
  terminate(): void;
}

export interface ClientPlatform {
  /** Whether sockets report the server's pings (the daemon transport's stale timer needs them). */
  readonly seesPings: boolean;
  /** A socket to the daemon's /v1/stream, authenticated with `key`. */
  openDaemonSocket(url: string, key: string, on: DaemonSocketEvents): DaemonSocket;
  /**
   * The WebSocket class realtime-js should construct, told the HTTP status of a refused upgrade;
   * undefined lets realtime-js use the platform's own WebSocket.
   */
  realtimeTransport(onRefused: (status: number) => void): unknown;
}
