/**
 * README "Realtime applies the policies above to each subscriber: with the anon key alone only model
 * and weight changes arrive; signals and drift reports need a user's JWT", tested against the fake
 * Realtime with per-subscriber RLS (tests/helpers/fake-realtime.ts: every change is selected as the
 * subscriber's role, with its JWT claims, against the real database, as realtime.apply_rls does;
 * a private Broadcast join is authorised by the realtime.messages policies as Realtime does).
 * Both subscribers listen to every feed; the same writes reach them; what each gets is what the
 * migrations' policies (sql/20261122000600_rls.sql, sql/20261204001100_broadcast.sql) let its role
 * read: the user receives signals over Broadcast, anon is refused the private topics (anon is not
 * configured to receive them), falls back to postgres_changes, and RLS hides the signals there too.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignalClient, type ModelUpdate, type Signal, type SignalClient, type WeightUpdate } from '../../src/client/index.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { realtimeFor } from '../helpers/fake-realtime.ts';
import { memoryStore } from '../helpers/pg.ts';
import { prediction } from '../store/fixtures.ts';

const ANON = 'anon-key-for-rls-0123456789';
const JWT = 'eyJ.user-jwt-for-rls.sig';
const T0 = Date.UTC(2018, 0, 20, 10, 5);

let store: SqlStore;
let realtime: Awaited<ReturnType<typeof realtimeFor>>;
const clients: SignalClient[] = [];

beforeAll(async () => {
  store = await memoryStore('public');
  // The compatibility realtime.send keeps broadcasts only when asked (PGlite: one session).
  await store.client.exec(`SET signalbase.capture_broadcasts = 'on'`);
  realtime = await realtimeFor(store.client, 'public', ANON, { accessTokens: [ANON, JWT], roles: { [ANON]: 'anon', [JWT]: 'authenticated' } });
}, 60_000);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await realtime?.close();
  await store?.close();
});

function listener(accessToken?: string) {
  const c = createSignalClient({ transport: 'supabase', supabaseUrl: realtime.server.url, supabaseKey: ANON, schema: 'public', ...(accessToken ? { accessToken } : {}) });
  clients.push(c);
  const got = { signals: [] as Signal[], models: [] as ModelUpdate[], weights: [] as WeightUpdate[], drift: [] as unknown[] };
  c.subscribeToPredictions('*', (s) => void got.signals.push(s));
  c.subscribeToModelUpdates((m) => void got.models.push(m));
  c.subscribeToWeightUpdates((w) => void got.weights.push(w));
  c.subscribeToDrift((d) => void got.drift.push(d));
  return { c, got };
}

describe('Supabase Realtime with per-subscriber RLS', () => {
  it('the anon key alone gets model and weight changes only; a user JWT also gets signals and drift', async () => {
    const anon = listener();
    const user = listener(JWT);
    await vi.waitFor(() => expect([anon.c.status, user.c.status]).toEqual(['open', 'open']), { timeout: 10_000, interval: 20 });

    const p = prediction({ symbol: 'LTC/BTC', candleTime: T0 });
    await store.insertPredictions([p]);
    const version = 'v20261204000000-abcdef';
    await store.createModel({ version, seed: 7, backend: 'wasm' });
    await store.updateModel(version, { status: 'trained' });
    await store.activateModel(version);
    await store.setWeights({ rsi_value: 1.25 });
    await store.insertDrift({
      modelVersion: version,
      dataDriftScore: 0.31,
      predictionDriftScore: 0.05,
      performanceDriftScore: null,
      overallDriftScore: 0.31,
      featureDriftDetails: {},
      driftDetected: true,
      actionTaken: 'retrain_requested',
      retrainingTriggered: true,
      thresholds: { psi: 0.2 },
      status: 'drift',
    });
    await realtime.feed.flush();

    await vi.waitFor(
      () => {
        expect(user.got.signals.map((s) => s.id)).toEqual([p.id]);
        expect(user.got.drift).toHaveLength(1);
        expect(user.got.models.map((m) => m.event)).toContain('activated');
        expect(user.got.weights.some((w) => w.new_weights?.rsi_value === 1.25)).toBe(true);
        expect(anon.got.models.map((m) => m.event)).toContain('activated');
        expect(anon.got.weights.some((w) => w.new_weights?.rsi_value === 1.25)).toBe(true);
      },
      { timeout: 10_000, interval: 20 },
    );
    // Everything was flushed and delivered to the user: what the anon subscriber lacks was withheld, not late.
    expect(anon.got.signals).toEqual([]);
    expect(anon.got.drift).toEqual([]);
    expect(realtime.server.hiddenByRls).toBeGreaterThan(0);
    // Signals reached the user over Broadcast; anon was refused the private topic and got none either way.
    expect(user.c.realtimeMode).toBe('broadcast');
    expect(anon.c.realtimeMode).toBe('postgres_changes');
    expect(realtime.server.refusedPrivateJoins).toBeGreaterThan(0);
    expect(realtime.server.broadcastsSent).toBeGreaterThan(0);
  });
});
