/**
 * The Supabase transport's catch-up and outcomes, in Node, against the fake Realtime (Broadcast
 * from the real triggers, private joins authorised by the real realtime.messages policies) and the
 * fake PostgREST on the same project URL (its gateway option), both in front of one real store: a
 * user's client sees each signal and each outcome once, live; while its socket is cut, signals are
 * written and earlier ones resolve; once back, it delivers every one of them exactly once (read over
 * REST), then continues live. Run on the embedded store (supabase-catch-up.test.ts) and on server
 * Postgres (supabase-catch-up.pg.test.ts); the browser test does the same from a page.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSignalClient, type Signal, type SignalClient, type SignalClientError, type SignalOutcome } from '../../src/client/index.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import { toSignal } from '../../src/domain/signal.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { startFakePostgrest, type FakePostgrest } from '../helpers/fake-postgrest.ts';
import { realtimeFor } from '../helpers/fake-realtime.ts';
import { prediction } from '../store/fixtures.ts';

const ANON = 'anon-key-for-catch-up-0123456789';
const SERVICE = 'service-key-for-catch-up-0123456789';
const JWT = 'eyJ.user-jwt-for-catch-up.sig';
const T0 = Date.UTC(2018, 0, 20, 10, 5);
const MIN5 = 300_000;

/** A store whose writing sessions keep broadcasts (signalbase.capture_broadcasts = 'on'). */
export interface CatchUpStore {
  store: SqlStore;
  schema: string;
  close(): Promise<void>;
}

export function catchUpCases(label: string, open: () => Promise<CatchUpStore>): void {
  let sut: CatchUpStore;
  let store: SqlStore;
  let rest: FakePostgrest;
  let realtime: Awaited<ReturnType<typeof realtimeFor>>;
  let t = T0;
  const clients: SignalClient[] = [];

  beforeAll(async () => {
    sut = await open();
    store = sut.store;
    rest = await startFakePostgrest({ db: store.client, schema: sut.schema, serviceRoleKey: SERVICE, keys: { [ANON]: 'anon', [JWT]: 'authenticated' } });
    realtime = await realtimeFor(store.client, sut.schema, ANON, { accessTokens: [ANON, JWT], roles: { [ANON]: 'anon', [JWT]: 'authenticated' }, gateway: rest.url });
  }, 120_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await realtime?.close();
    await rest?.close();
    await sut?.close();
  });

  async function insert(symbol: string): Promise<PredictionRecord> {
    const p = prediction({ symbol, candleTime: (t += MIN5) });
    expect(await store.insertPredictions([p])).toBe(1);
    return p;
  }

  async function resolve(p: PredictionRecord, outcome: 'TP_HIT' | 'SL_HIT'): Promise<void> {
    const exitPrice = outcome === 'TP_HIT' ? p.takeProfit! : p.stopLoss!;
    expect(await store.resolvePredictions([{ predictionId: p.id, outcome, exitPrice, profitLossPct: outcome === 'TP_HIT' ? 2.4 : -1.8, outcomeTime: p.candleTime + 3 * MIN5 }])).toBe(1);
  }

  describe(`Supabase transport: catch-up after a cut, outcomes as their own events (${label})`, () => {
    it('delivers every signal and outcome of the gap exactly once, in candle order, then continues live', async () => {
      const c = createSignalClient({ transport: 'supabase', supabaseUrl: realtime.server.url, supabaseKey: ANON, accessToken: JWT, schema: sut.schema, reconnectDelaysMs: [200] });
      clients.push(c);
      const signals: Signal[] = [];
      const outcomes: SignalOutcome[] = [];
      const errors: SignalClientError[] = [];
      c.onError((e) => void errors.push(e));
      c.subscribeToPredictions('*', (s) => void signals.push(s));
      c.subscribeToOutcomes('*', (o) => void outcomes.push(o));
      // Beside it, the anon key alone (anon_receives_signals not set): refused the private topics,
      // it falls back to postgres_changes, where RLS hides the signals too.
      const anon = createSignalClient({ transport: 'supabase', supabaseUrl: realtime.server.url, supabaseKey: ANON, schema: sut.schema });
      clients.push(anon);
      const anonGot: unknown[] = [];
      anon.subscribeToPredictions('*', (s) => void anonGot.push(s));
      anon.subscribeToOutcomes('*', (o) => void anonGot.push(o));
      await vi.waitFor(() => expect([c.status, anon.status]).toEqual(['open', 'open']), { timeout: 10_000, interval: 20 });
      expect(c.realtimeMode).toBe('broadcast');
      expect(anon.realtimeMode).toBe('postgres_changes');
      expect(realtime.server.refusedPrivateJoins).toBeGreaterThan(0);

      const a = await insert('LTC/BTC');
      await vi.waitFor(() => expect(signals.map((s) => s.id)).toEqual([a.id]), { timeout: 10_000, interval: 20 });
      expect(signals[0]).toEqual(toSignal(a));
      const requestsBefore = rest.requests.length;

      // The socket is cut and stays refused while the market goes on.
      realtime.server.refuseConnections(true);
      realtime.server.dropAll();
      await vi.waitFor(() => expect(c.status).toBe('reconnecting'), { timeout: 5_000, interval: 10 });
      const b = await insert('XLM/BTC');
      const d = await insert('LTC/BTC');
      await resolve(a, 'TP_HIT');
      await resolve(b, 'SL_HIT');
      await realtime.feed.flush();
      expect(signals.map((s) => s.id)).toEqual([a.id]); // nothing reached it while away

      realtime.server.refuseConnections(false);
      await vi.waitFor(
        () => {
          expect(signals.map((s) => s.id)).toEqual([a.id, b.id, d.id]);
          expect(outcomes.map((o) => [o.prediction_id, o.outcome]).sort()).toEqual([[a.id, 'TP_HIT'], [b.id, 'SL_HIT']].sort());
        },
        { timeout: 15_000, interval: 20 },
      );
      expect(signals.slice(1)).toEqual([toSignal(b), toSignal(d)]);
      expect(outcomes.find((o) => o.prediction_id === a.id)).toMatchObject({ symbol: 'LTC/BTC', outcome: 'TP_HIT', exit_price: a.takeProfit, profit_loss_pct: 2.4, outcome_time: new Date(a.candleTime + 3 * MIN5).toISOString() });
      // Read over REST, as the user (RLS applies): signals from the last candle seen, and the open signal's row.
      const reads = rest.requests.slice(requestsBefore).filter((r) => r.path.startsWith('/rest/v1/ml_predictions'));
      expect(reads.length).toBeGreaterThanOrEqual(2);
      expect(reads.every((r) => r.status === 200)).toBe(true);

      // Live again: a new signal and a resolution arrive once each, nothing of the gap repeats.
      const e = await insert('XLM/BTC');
      await resolve(d, 'SL_HIT');
      await realtime.feed.flush();
      await vi.waitFor(
        () => {
          expect(signals.map((s) => s.id)).toEqual([a.id, b.id, d.id, e.id]);
          expect(outcomes.map((o) => o.prediction_id).sort()).toEqual([a.id, b.id, d.id].sort());
        },
        { timeout: 10_000, interval: 20 },
      );
      expect(errors.filter((x) => x.code.startsWith('CATCH_UP'))).toEqual([]);
      expect(anonGot).toEqual([]);
    }, 60_000);
  });
}
