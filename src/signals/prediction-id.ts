/**
 * Deterministic signal ids. A signal's id is a function of its natural key (symbol, timeframe,
 * candle_time, model_version), the key the store is idempotent on, so a replay after a crash, a
 * second daemon computing the same candle, or a backtest re-run all produce the same id, and
 * websocket subscribers that saw the id before the crash see the same id again.
 *
 * The id is an RFC 4122 version-5 UUID: sha1(namespace bytes ‖ UTF-8 name), first 16 bytes, version
 * nibble 5, variant bits 10. The namespace below is fixed for signalbase; changing it changes every id.
 */
import { hash } from 'node:crypto';
import type { Timeframe } from '../domain/timeframe.ts';

/** signalbase's namespace for prediction ids (a random v4 UUID chosen once; never change it). */
export const PREDICTION_ID_NAMESPACE = '4f0c2b8e-7a51-4d6e-9c3a-1b5e8f2d6a90';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function uuidBytes(uuid: string): Buffer {
  if (!UUID_RE.test(uuid)) throw new RangeError(`not a UUID: ${uuid}`);
  return Buffer.from(uuid.replace(/-/g, ''), 'hex');
}

/** Namespaces parsed so far (one in practice): the tick path hashes one id per signal. */
const namespaces = new Map<string, Buffer>();

/** RFC 4122 §4.3 name-based UUID with SHA-1 (version 5). */
export function uuidV5(name: string, namespace: string): string {
  let ns = namespaces.get(namespace);
  if (!ns) namespaces.set(namespace, (ns = uuidBytes(namespace)));
  // One-shot hash of namespace ‖ name (crypto.hash: no Hash object per id).
  const b = hash('sha1', Buffer.concat([ns, Buffer.from(name, 'utf8')]), 'buffer').subarray(0, 16);
  b[6] = (b[6]! & 0x0f) | 0x50;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * The id of the signal for this natural key. The name hashed is
 * `symbol \n timeframe \n ISO-8601 candle open time \n model_version`; newlines cannot occur in any
 * of the parts, so two different keys never hash the same name.
 */
export function predictionId(symbol: string, timeframe: Timeframe, candleTime: number, modelVersion: string): string {
  if (!Number.isFinite(candleTime)) throw new RangeError(`candle time must be finite epoch milliseconds, got ${candleTime}`);
  const name = `${symbol}\n${timeframe}\n${new Date(candleTime).toISOString()}\n${modelVersion}`;
  return uuidV5(name, PREDICTION_ID_NAMESPACE);
}
