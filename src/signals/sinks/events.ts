/**
 * The events the daemon publishes to its sinks, with their stable ids (sink.ts): a receiver that
 * sees the same id twice (a resend after a restart) drops the second.
 *
 *   signal   the signal's own id (the store's prediction id)
 *   outcome  `outcome:<prediction id>`: a signal resolves once
 *   model    `model:<version>:<event>` (activated, trained, trained_and_activated)
 *   drift    `drift:<record id>`: one stored drift check
 */
import type { Signal } from '../../domain/signal.ts';
import type { SinkEvent } from './sink.ts';

export function signalEvents(signals: readonly Signal[]): SinkEvent[] {
  return signals.map((s) => ({ type: 'signal', id: s.id, data: s }));
}

export function outcomeEvent(data: Record<string, unknown> & { prediction_id: string }): SinkEvent {
  return { type: 'outcome', id: `outcome:${data.prediction_id}`, data };
}

export function modelEvent(data: Record<string, unknown>): SinkEvent {
  return { type: 'model', id: `model:${String(data.version)}:${String(data.event)}`, data };
}

export function driftEvent(data: Record<string, unknown>): SinkEvent {
  return { type: 'drift', id: `drift:${String(data.record_id)}`, data };
}
