/**
 * Server → client frames of /v1/stream (DESIGN.md "Websocket stream"), checked at the edge: a
 * frame that is not one of these shapes is reported (BAD_FRAME) and ignored, never delivered.
 */
import type { DriftUpdate, ModelUpdate, Signal, SignalOutcome, WeightUpdate } from './types.ts';

export type ServerFrame =
  | { type: 'signal'; data: Signal }
  | { type: 'outcome'; data: SignalOutcome }
  | { type: 'model'; data: ModelUpdate }
  | { type: 'weights'; data: WeightUpdate }
  | { type: 'drift'; data: DriftUpdate }
  | { type: 'error'; code: string; message: string };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The frame, or a reason it is not one. Unknown `type`s are ignored (null), for forward compatibility. */
export function parseServerFrame(text: string): { frame: ServerFrame | null } | { invalid: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { invalid: 'not JSON' };
  }
  if (!isObject(json) || typeof json.type !== 'string') return { invalid: 'no "type"' };
  switch (json.type) {
    case 'signal': {
      const d = json.data;
      if (!isObject(d) || typeof d.id !== 'string' || typeof d.symbol !== 'string' || typeof d.candle_time !== 'string') {
        return { invalid: 'a signal without id, symbol or candle_time' };
      }
      return { frame: { type: 'signal', data: d as unknown as Signal } };
    }
    case 'outcome': {
      const d = json.data;
      if (!isObject(d) || typeof d.prediction_id !== 'string' || typeof d.symbol !== 'string' || typeof d.outcome !== 'string') {
        return { invalid: 'an outcome without prediction_id, symbol or outcome' };
      }
      return { frame: { type: 'outcome', data: d as unknown as SignalOutcome } };
    }
    case 'model':
    case 'weights':
    case 'drift':
      if (!isObject(json.data)) return { invalid: `a ${json.type} message without data` };
      return { frame: { type: json.type, data: json.data } as ServerFrame };
    case 'error':
      return { frame: { type: 'error', code: String(json.code ?? 'SERVER_ERROR'), message: String(json.message ?? '') } };
    default:
      return { frame: null };
  }
}
