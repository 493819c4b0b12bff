/**
 * The one seam every consumer of the daemon's events sits behind (DESIGN.md "Sinks"): the websocket
 * hub, webhooks, chat services, MQTT. The daemon publishes each tick's events to a fan-out of sinks;
 * a sink takes them synchronously, never throws, never awaits delivery, and owns its own bounded
 * queue and the counted policy for when that queue is full. A slow or failing sink therefore never
 * delays the tick, the stream or another sink.
 *
 * Event ids are stable: a receiver dedupes on `id` for the rare resend after a restart.
 */
import type { Signal } from '../../domain/signal.ts';

export type SinkEventType = 'signal' | 'outcome' | 'model' | 'drift' | 'alert';

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** An operational condition (feed down, outbox stuck, drift, retrain failed, ...): once when it fires, once when it clears. */
export interface AlertData {
  /** Stable name of the condition, e.g. `feed_down`, `drift_detected`; dedupe key with `subject`. */
  condition: string;
  /** What the condition is about (a feed, a model version); empty when global. */
  subject: string;
  severity: AlertSeverity;
  state: 'firing' | 'resolved';
  message: string;
  /** Epoch ms the condition started (firing) or cleared (resolved). */
  at: number;
  details?: Record<string, unknown>;
}

export type SinkEvent =
  | { type: 'signal'; id: string; data: Signal }
  | { type: 'outcome'; id: string; data: Record<string, unknown> }
  | { type: 'model'; id: string; data: Record<string, unknown> }
  | { type: 'drift'; id: string; data: Record<string, unknown> }
  | { type: 'alert'; id: string; data: AlertData };

/** What `/v1/status` and the dashboard's health panel show per sink. */
export interface SinkStatus {
  name: string;
  kind: string;
  state: 'starting' | 'ok' | 'degraded' | 'stopped';
  queueDepth: number;
  delivered: number;
  failed: number;
  deadLetters: number;
  dropped: number;
  lastError?: string;
}

export interface SignalSink {
  readonly name: string;
  readonly kind: string;
  /**
   * Takes one tick's events, in stream order. Synchronous and non-blocking: it enqueues (or, for the
   * websocket hub, writes to each client's bounded buffer) and returns; it never throws.
   */
  publish(events: readonly SinkEvent[]): void;
  start(): Promise<void>;
  /** Idempotent; drains what it can within its deadline and persists the rest where it journals. */
  stop(): Promise<void>;
  status(): SinkStatus;
}
