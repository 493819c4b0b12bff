/**
 * The Store port seen through the API's narrow interfaces (keys, stored signals, the retrain queue,
 * the dashboard row); src/daemon/server.ts wires the daemon with it:
 *   createApiServer({ ...storePorts(store), predict, indicators, ... })
 */
import type { Store } from '../store/store.ts';
import type { KeyUsage } from './key-usage.ts';
import type { KeyValidator, SignalHistory } from './types.ts';

export function storePorts(store: Pick<Store, 'validateApiKey' | 'readPredictions' | 'getPrediction' | 'enqueueRetrain' | 'dashboard' | 'scorecard'> & Partial<Pick<Store, 'reserveKeyUsage'>>): {
  keys: KeyValidator;
  keyUsage?: KeyUsage;
  signals: SignalHistory;
  retrain(force: boolean, reason: string | null): Promise<{ request_id: string }>;
  dashboard(): Promise<Record<string, unknown>>;
  scorecard: Store['scorecard'];
} {
  return {
    keys: { validate: (key) => store.validateApiKey(key) },
    ...(store.reserveKeyUsage ? { keyUsage: { reserve: (id: string, at: number, want: number, limit: number) => store.reserveKeyUsage!(id, at, want, limit) } } : {}),
    signals: { readAfter: (q) => store.readPredictions(q), get: (id) => store.getPrediction(id) },
    retrain: async (force, reason) => ({ request_id: (await store.enqueueRetrain({ source: 'api', force, reason })).id }),
    dashboard: () => store.dashboard(),
    scorecard: (q) => store.scorecard(q),
  };
}
