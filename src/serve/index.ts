/** The HTTP API and websocket stream: what the daemon and tests import. */
export { createApiServer, DEFAULT_API_OPTIONS, STREAM_PATH, type ApiServer } from './api-server.ts';
export { StreamHub, DEFAULT_STREAM_OPTIONS, type StreamHubDeps, type StreamClientInfo, type AttachOptions } from './stream-hub.ts';
export { ApiError, UnknownSymbolError, NotReadyError, InvalidCandlesError, toApiError, STATUS_BY_CODE } from './errors.ts';
export { KeyCache } from './key-cache.ts';
export { HourlyRateLimiter } from './rate-limiter.ts';
export { normalizeSymbol } from './symbols.ts';
export { storePorts } from './store-ports.ts';
export type * from './types.ts';
