/**
 * Which of a tick's events a sink takes (the sink file's `events` and `filter`). Filters apply to
 * signals (symbol, direction, confidence, recommendation; HOLD only when `directions` names it) and,
 * by symbol and the signal's direction, to outcomes; model, drift and alert events pass whenever their type is taken.
 */
import type { SinkEvent, SinkEventType } from './sink.ts';
import type { SinkEntry } from './sinks-file.ts';

export type EventFilter = (event: SinkEvent) => boolean;

export function eventFilter(spec: Pick<SinkEntry, 'events' | 'filter'>): EventFilter {
  const types = new Set<SinkEventType>(spec.events);
  const f = spec.filter;
  const symbols = f.symbols ? new Set(f.symbols) : null;
  const directions = new Set(f.directions ?? ['BUY', 'SELL']);
  const recommendations = f.recommendations ? new Set<string>(f.recommendations) : null;
  const minConfidence = f.min_confidence ?? 0;
  return (e) => {
    if (!types.has(e.type)) return false;
    if (e.type === 'signal') {
      const s = e.data;
      if (symbols && !symbols.has(s.symbol)) return false;
      if (!directions.has(s.predicted_direction)) return false;
      if (recommendations && !recommendations.has(s.recommendation)) return false;
      return s.confidence_score >= minConfidence;
    }
    if (e.type === 'outcome') {
      if (symbols && typeof e.data.symbol === 'string' && !symbols.has(e.data.symbol)) return false;
      const d = e.data.predicted_direction;
      return typeof d !== 'string' || directions.has(d as 'BUY');
    }
    return true;
  };
}
