/**
 * The HTTP API's and the stream's metrics, registered once per registry (the process registry in
 * production, a fresh one per test), so several servers in one process never register twice.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface ServeMetrics {
  httpRequests: Counter<'route' | 'status'>;
  httpDuration: Histogram<'route'>;
  wsClients: Gauge;
  wsDropped: Counter<'reason'>;
  wsMessages: Counter<'type'>;
  wsResumeGaps: Counter;
  keyFailures: Counter<'reason'>;
}

const byRegistry = new WeakMap<Registry, ServeMetrics>();

export function serveMetrics(registry: Registry): ServeMetrics {
  let m = byRegistry.get(registry);
  if (m) return m;
  const registers = [registry];
  m = {
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests and websocket upgrades answered, by route pattern and status',
      labelNames: ['route', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route pattern',
      labelNames: ['route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    wsClients: new Gauge({ name: 'ws_clients', help: 'Websocket clients connected to /v1/stream', registers }),
    wsDropped: new Counter({
      name: 'ws_clients_dropped_total',
      help: 'Websocket clients closed by the server: slow_consumer, ping_timeout, catchup_overflow, key_revoked',
      labelNames: ['reason'] as const,
      registers,
    }),
    wsMessages: new Counter({
      name: 'ws_messages_sent_total',
      help: 'Messages sent to websocket clients, by type',
      labelNames: ['type'] as const,
      registers,
    }),
    keyFailures: new Counter({
      name: 'api_key_failures_total',
      help: 'Requests and upgrades refused for their key: missing, malformed, invalid (unknown, revoked, expired), throttled (address blocked)',
      labelNames: ['reason'] as const,
      registers,
    }),
    wsResumeGaps: new Counter({
      name: 'ws_resume_gaps_total',
      help: 'since-resumes that could not prove they were complete (the ring evicted signals the store did not have yet)',
      registers,
    }),
  };
  byRegistry.set(registry, m);
  return m;
}
