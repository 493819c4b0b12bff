/**
 * What a sink kind implements: deliver one event, and say how it went. The delivery queue
 * (queued-sink.ts) owns ordering, retries, backoff, rate limits, dead letters and the journal; a
 * transport only speaks its receiver's protocol and classifies the answer.
 */
import type { FailureReason } from './metrics.ts';
import type { SinkEvent } from './sink.ts';

export type DeliveryResult =
  | { ok: true; /** The receiver asked for a pause before the next delivery (rate-limit headers). */ pauseMs?: number }
  | { ok: false; retryable: boolean; reason: FailureReason; message: string; /** Retry-After / retry_after, ms. */ retryAfterMs?: number };

export interface Transport {
  /** Delivers one event; never throws (a failure is a result). `signal` aborts at the attempt's timeout or at stop. */
  deliver(event: SinkEvent, signal: AbortSignal): Promise<DeliveryResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}

export const retry = (reason: FailureReason, message: string, retryAfterMs?: number): DeliveryResult => ({ ok: false, retryable: true, reason, message, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
export const refuse = (reason: FailureReason, message: string): DeliveryResult => ({ ok: false, retryable: false, reason, message });
