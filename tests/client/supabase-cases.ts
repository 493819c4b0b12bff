/**
 * The Supabase transport's behaviour, run against a fake Realtime (tests/helpers/fake-realtime.ts)
 * fed by a real store: rows are written through the Store port, captured by a trigger and sent as
 * postgres_changes, as Realtime sends what the WAL says. Shared by the embedded (PGlite) and the
 * server-Postgres files, which differ only in where the store lives.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSignalClient, type ModelUpdate, type Signal, type SignalClient, type StatusEvent, type WeightUpdate } from '../../src/client/index.ts';
import type { SignalClientError } from '../../src/client/errors.ts';
import type { PredictionRecord } from '../../src/domain/prediction.ts';
import { toSignal } from '../../src/domain/signal.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import type { DriftRecord } from '../../src/store/types.ts';
import { realtimeFor, type ChangeFeed, type FakeRealtime } from '../helpers/fake-realtime.ts';
import { prediction } from '../store/fixtures.ts';

export interface StoreUnderTest {
  store: SqlStore;
  schema: string;
  close(): Promise<void>;
}

const KEY = 'anon-key-for-tests-0123456789';
const T0 = Date.UTC(2018, 0, 20, 10, 5);
const MIN5 = 300_000;

function collect<T>(): { items: T[]; cb: (v: T) => void } {
  const items: T[] = [];
  return { items, cb: (v: T) => void items.push(v) };
}

const drift = (version: string): DriftRecord => ({
  modelVersion: version,
  dataDriftScore: 0.31,
  predictionDriftScore: 0.05,
  performanceDriftScore: null,
  overallDriftScore: 0.31,
  featureDriftDetails: { rsi_value: { psi: 0.4, ks_p: 0.001 } },
  driftDetected: true,
  actionTaken: 'retrain_requested',
  retrainingTriggered: true,
  thresholds: { psi: 0.2, ks_alpha: 0.05 },
  status: 'drift',
});

export function supabaseTransportCases(label: string, open: () => Promise<StoreUnderTest>): void {
  describe(`supabase transport (${label})`, () => {
    let sut: StoreUnderTest;
    let server: FakeRealtime;
    let feed: ChangeFeed;
    let realtime: Awaited<ReturnType<typeof realtimeFor>> | undefined;
    const clients: SignalClient[] = [];
    let t = T0;

    const client = (extra: Partial<{ vsn: '1.0.0' | '2.0.0'; reconnectDelaysMs: number[] }> = {}) => {
      const c = createSignalClient({ transport: 'supabase', supabaseUrl: server.url, supabaseKey: KEY, schema: sut.schema, ...extra });
      clients.push(c);
      return c;
    };
    const insert = async (symbol: string): Promise<PredictionRecord> => {
      const p = prediction({ symbol, candleTime: (t += MIN5) });
      expect(await sut.store.insertPredictions([p])).toBe(1);
      return p;
    };
    const opened = (c: SignalClient) => vi.waitFor(() => expect(c.status).toBe('open'), { timeout: 10_000, interval: 20 });

    beforeAll(async () => {
      sut = await open();
      realtime = await realtimeFor(sut.store.client, sut.schema, KEY);
      ({ server, feed } = realtime);
    }, 120_000);

    // Each test starts with the earlier tests' rows delivered: a late poll would hand them to this
    // test's fresh subscribers (seen under CI load).
    beforeEach(() => feed.flush());

    afterAll(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await realtime?.close();
      await sut?.close();
    });

    it('delivers one symbol to its subscriber and every symbol to "*", each equal to the daemon\'s Signal for the stored row', async () => {
      const c = client();
      const ltc = collect<Signal>();
      const all = collect<Signal>();
      const statuses = collect<StatusEvent>();
      c.onStatus(statuses.cb);
      c.subscribeToPredictions('ltc-btc', ltc.cb);
      c.subscribeToPredictions('*', all.cb);
      await opened(c);

      // This fake has no policies for the private signal topics: the client asked for them first
      // (Broadcast), was refused, and fell back to postgres_changes.
      expect(server.joins.filter((j) => j.topic.startsWith('realtime:signals:')).map((j) => [j.topic, (j.payload.config as { private?: boolean }).private])).toEqual(
        expect.arrayContaining([
          ['realtime:signals:LTC_BTC', true],
          ['realtime:signals:all', true],
        ]),
      );
      expect(c.realtimeMode).toBe('postgres_changes');
      // The joins are what realtime-js sends: one channel per feed, postgres_changes config (INSERT:
      // signals, UPDATE: outcomes), the key as access_token.
      const joins = server.joins.filter((j) => j.topic.includes(':predictions:'));
      expect(joins).toHaveLength(2);
      const configs = joins.map((j) => (j.payload.config as { postgres_changes: unknown[] }).postgres_changes);
      const ltcFilter = { schema: sut.schema, table: 'ml_predictions', filter: 'symbol=eq.LTC/BTC' };
      expect(configs).toContainEqual([{ event: 'INSERT', ...ltcFilter }, { event: 'UPDATE', ...ltcFilter }]);
      expect(configs).toContainEqual([{ event: 'INSERT', schema: sut.schema, table: 'ml_predictions' }, { event: 'UPDATE', schema: sut.schema, table: 'ml_predictions' }]);
      for (const j of joins) expect(j.payload.access_token).toBe(KEY);
      expect(joins.every((j) => j.vsn === '2.0.0' && j.topic.startsWith('realtime:'))).toBe(true);

      const written = [await insert('LTC/BTC'), await insert('XLM/BTC'), await insert('LTC/BTC')];
      await vi.waitFor(() => expect(all.items).toHaveLength(3), { timeout: 10_000, interval: 20 });
      await feed.flush();

      expect(all.items).toEqual(written.map(toSignal));
      expect(ltc.items).toEqual([toSignal(written[0]!), toSignal(written[2]!)]);
      expect(c.lastSignalId).toBe(written[2]!.id);
      expect(statuses.items.map((s) => s.status)).toEqual(['open']);
    });

    it('stops delivering after unsubscribe: the channel is left at the server and its listener gets nothing more', async () => {
      const c = client();
      const ltc = collect<Signal>();
      const all = collect<Signal>();
      const handle = c.subscribeToPredictions('LTC/BTC', ltc.cb);
      c.subscribeToPredictions('*', all.cb);
      await opened(c);
      const first = await insert('LTC/BTC');
      await vi.waitFor(() => expect(ltc.items.map((s) => s.id)).toEqual([first.id]), { timeout: 10_000, interval: 20 });

      const leavesBefore = server.leaves;
      c.unsubscribe(handle);
      await vi.waitFor(() => expect(server.leaves).toBe(leavesBefore + 1), { timeout: 10_000, interval: 20 });
      const later = [await insert('LTC/BTC'), await insert('LTC/BTC')];
      await vi.waitFor(() => expect(all.items.map((s) => s.id)).toEqual([first.id, ...later.map((p) => p.id)]), { timeout: 10_000, interval: 20 });
      await feed.flush();
      expect(ltc.items.map((s) => s.id)).toEqual([first.id]);

      // Unsubscribing a symbol by name removes every listener of it; the '*' one stays.
      c.unsubscribe('*');
      await vi.waitFor(() => expect(server.leaves).toBe(leavesBefore + 2), { timeout: 10_000, interval: 20 });
      await insert('XLM/BTC');
      await feed.flush();
      expect(all.items).toHaveLength(3);
    });

    it('rejoins its channels after the server drops the socket, with realtime-js\'s reconnect delays, and delivers again', async () => {
      const c = client();
      const xlm = collect<Signal>();
      const statuses = collect<StatusEvent>();
      c.onStatus(statuses.cb);
      c.subscribeToPredictions('XLM/BTC', xlm.cb);
      await opened(c);
      const before = await insert('XLM/BTC');
      await vi.waitFor(() => expect(xlm.items).toHaveLength(1), { timeout: 10_000, interval: 20 });

      const joinsBefore = server.joins.length;
      const connectionsBefore = server.connectionsTotal;
      server.refuseConnections(true);
      server.dropAll();
      await vi.waitFor(() => expect(c.status).toBe('reconnecting'), { timeout: 5_000, interval: 10 });
      // Refused: the next attempt fails too, and waits the next step.
      await vi.waitFor(() => expect(statuses.items.filter((s) => s.status === 'reconnecting').length).toBeGreaterThanOrEqual(2), { timeout: 5_000, interval: 20 });
      server.refuseConnections(false);
      await opened(c);
      expect(server.connectionsTotal).toBeGreaterThan(connectionsBefore);
      const rejoin = server.joins.slice(joinsBefore).find((j) => j.topic.includes(':predictions:XLM/BTC'));
      expect(rejoin, 'the channel joined again on the new socket').toBeDefined();

      const reconnecting = statuses.items.filter((s) => s.status === 'reconnecting');
      // realtime-js RECONNECT_INTERVALS: 1 s, then 2 s.
      expect(reconnecting.slice(0, 2).map((s) => [s.attempt, s.delayMs])).toEqual([
        [1, 1000],
        [2, 2000],
      ]);
      expect(reconnecting[0]!.error?.code).toBe('CONNECTION_LOST');

      const after = await insert('XLM/BTC');
      await vi.waitFor(() => expect(xlm.items.map((s) => s.id)).toEqual([before.id, after.id]), { timeout: 10_000, interval: 20 });
    }, 30_000);

    it('maps model, weight and drift rows to updates', async () => {
      const c = client({ vsn: '1.0.0' });
      const models = collect<ModelUpdate>();
      const weights = collect<WeightUpdate>();
      const drifts = collect<Record<string, unknown>>();
      c.subscribeToModelUpdates(models.cb);
      c.subscribeToWeightUpdates(weights.cb);
      c.subscribeToDrift(drifts.cb);
      await opened(c);
      expect(server.joins.filter((j) => /^realtime:signalbase:(model|weights|drift):/.test(j.topic)).slice(-3).every((j) => j.vsn === '1.0.0')).toBe(true);

      const version = 'v20261122000000-abcdef';
      await sut.store.createModel({ version, seed: 7, backend: 'wasm' });
      await sut.store.updateModel(version, { status: 'trained' });
      await sut.store.activateModel(version);
      await vi.waitFor(() => expect(models.items.map((m) => m.event)).toContain('activated'), { timeout: 10_000, interval: 20 });
      expect(models.items[0]).toMatchObject({ event: 'registered', version, status: 'training', is_active: false });
      expect(models.items.every((m) => m.version === version)).toBe(true);

      await sut.store.setWeights({ rsi_value: 1.25 });
      await vi.waitFor(() => expect(weights.items.some((w) => w.new_weights?.rsi_value === 1.25)).toBe(true), { timeout: 10_000, interval: 20 });

      await sut.store.insertDrift(drift(version));
      await vi.waitFor(() => expect(drifts.items).toHaveLength(1), { timeout: 10_000, interval: 20 });
      expect(drifts.items[0]).toMatchObject({ version, drift_detected: true, status: 'drift', overall_drift_score: 0.31 });
    });

    it('delivers SIGNAL rows only: an API prediction (a caller\'s own computation) never reaches the signal feed', async () => {
      const c = client();
      const all = collect<Signal>();
      c.subscribeToPredictions('*', all.cb);
      await opened(c);
      const api = { ...prediction({ symbol: 'LTC/BTC', candleTime: (t += MIN5) }), id: randomUUID(), predictionType: 'API' as const };
      expect(await sut.store.insertPredictions([api])).toBe(1);
      const real = await insert('LTC/BTC');
      await vi.waitFor(() => expect(all.items).toHaveLength(1), { timeout: 10_000, interval: 20 });
      await feed.flush();
      expect(all.items).toEqual([toSignal(real)]);
    });

    it('reports a malformed row as BAD_FRAME and delivers nothing for it', async () => {
      const c = client();
      const all = collect<Signal>();
      const errors = collect<SignalClientError>();
      c.onError(errors.cb);
      c.subscribeToPredictions('*', all.cb);
      await opened(c);
      server.emit({
        type: 'INSERT',
        schema: sut.schema,
        table: 'ml_predictions',
        commit_timestamp: new Date().toISOString(),
        columns: [{ name: 'id', type: 'uuid' }],
        record: { id: 'x', symbol: 'LTC/BTC' },
      });
      await vi.waitFor(() => expect(errors.items.map((e) => e.code)).toContain('BAD_FRAME'), { timeout: 5_000, interval: 20 });
      expect(all.items).toHaveLength(0);
    });

    // The fake's token allow-list stands for Realtime refusing a join whose JWT it does not accept.
    it('reports a refused join as CHANNEL_ERROR, and joins with a signed-in user\'s JWT as access_token when given one', async () => {
      const JWT = 'eyJ.user-jwt-for-tests.sig';
      const users = await realtimeFor(sut.store.client, sut.schema, KEY, { accessTokens: [JWT] });
      try {
        const make = (accessToken?: string) => {
          const c = createSignalClient({ transport: 'supabase', supabaseUrl: users.server.url, supabaseKey: KEY, schema: sut.schema, ...(accessToken ? { accessToken } : {}) });
          clients.push(c);
          return c;
        };
        const anon = make();
        const anonErrors = collect<SignalClientError>();
        anon.onError(anonErrors.cb);
        anon.subscribeToPredictions('*', () => undefined);
        await vi.waitFor(() => expect(anonErrors.items.map((e) => e.code)).toContain('CHANNEL_ERROR'), { timeout: 10_000, interval: 20 });
        expect(anon.status).not.toBe('open');
        await anon.close();

        const user = make(JWT);
        const got = collect<Signal>();
        user.subscribeToPredictions('*', got.cb);
        await opened(user);
        expect(users.server.joins.at(-1)!.payload.access_token).toBe(JWT);
        const p = await insert('LTC/BTC');
        await vi.waitFor(() => expect(got.items.map((s) => s.id)).toEqual([p.id]), { timeout: 10_000, interval: 20 });
      } finally {
        await users.close();
      }
    });

    it('a key Realtime refuses (HTTP 401 at the upgrade) ends the client with UNAUTHORIZED instead of retrying', async () => {
      const c = createSignalClient({ transport: 'supabase', supabaseUrl: server.url, supabaseKey: 'not-the-project-key', schema: sut.schema });
      clients.push(c);
      const statuses = collect<StatusEvent>();
      c.onStatus(statuses.cb);
      const refusedBefore = server.refusedTotal;
      c.subscribeToPredictions('*', () => undefined);
      await vi.waitFor(() => expect(c.status).toBe('closed'), { timeout: 5_000, interval: 20 });
      expect(statuses.items.map((s) => [s.status, s.error?.code])).toEqual([['closed', 'UNAUTHORIZED']]);
      // Past realtime-js's first reconnect delay (1 s): no second attempt.
      await new Promise((r) => setTimeout(r, 1_500));
      expect(server.refusedTotal - refusedBefore).toBe(1);
    });

    it('closes cleanly: status closed, the socket gone at the server, idempotent', async () => {
      const c = client();
      const statuses = collect<StatusEvent>();
      c.onStatus(statuses.cb);
      c.subscribeToPredictions('LTC/BTC', () => undefined);
      await opened(c);
      const socketsBefore = server.openSockets;
      await Promise.all([c.close(), c.close()]);
      expect(c.status).toBe('closed');
      await vi.waitFor(() => expect(server.openSockets).toBe(socketsBefore - 1), { timeout: 5_000, interval: 20 });
      expect(statuses.items.map((s) => s.status)).toEqual(['open', 'closed']);
    });
  });
}
