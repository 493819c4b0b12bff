/**
 * The websocket stream on a real server with real `ws` clients: subscriptions, `since` resume
 * without gap or duplicate (also while live signals are published during the catch-up), slow
 * consumers, heartbeats and shutdown.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiDeps, StreamOptions } from '../../src/serve/types.ts';
import { connect, metric, mixed, record, records, signals, startServer, upgradeStatus, type Harness, type TestSocket } from './helpers.ts';

let h: Harness | undefined;
const sockets: TestSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.ws.terminate();
  await h?.api.stop();
  h = undefined;
});

const auth = (key: string) => ({ authorization: `Bearer ${key}` });
const ids = (rs: { id: string }[]) => rs.map((r) => r.id);

async function server(stream: Partial<StreamOptions> = {}, over: Partial<ApiDeps> = {}): Promise<Harness> {
  h = await startServer({ ...over, options: { stream } });
  h.keys.add('k', 'stream');
  return h;
}

async function client(hh: Harness, opts: { autoPong?: boolean; query?: boolean } = {}): Promise<TestSocket> {
  const s = opts.query ? await connect(`${hh.ws}?key=k`, {}, opts) : await connect(hh.ws, auth('k'), opts);
  sockets.push(s);
  return s;
}

/** Subscribes and waits until the hub has the client in the expected state. */
async function subscribe(hh: Harness, s: TestSocket, msg: Record<string, unknown>, state: 'live' | 'catching_up' = 'live') {
  const idle = new Set(hh.api.hub.clients().filter((c) => c.state === 'idle').map((c) => c.id));
  s.send({ type: 'subscribe', ...msg });
  await vi.waitFor(() => {
    const moved = hh.api.hub.clients().filter((c) => idle.has(c.id) && c.state !== 'idle');
    expect(moved.some((c) => c.state === state || (state === 'catching_up' && c.state === 'live'))).toBe(true);
  });
}

describe('subscriptions', () => {
  it('delivers only the subscribed symbols, in order; ["*"] gets all; unsubscribe stops delivery', async () => {
    const hh = await server();
    const ltc = await client(hh);
    const all = await client(hh, { query: true });
    ltc.send({ type: 'subscribe', symbols: ['LTC-BTC'] });
    all.send({ type: 'subscribe', symbols: ['*'] });
    const subs = () => hh.api.hub.clients().map((c) => c.symbols.join(',')).sort();
    await vi.waitFor(() => expect(subs()).toEqual(['*', 'LTC/BTC']));

    const batch = mixed(0, 4);
    hh.api.hub.publishSignals(signals(batch));
    await vi.waitFor(() => expect(all.signalIds()).toEqual(ids(batch)));
    await vi.waitFor(() => expect(ltc.signalIds()).toEqual(ids(records('LTC/BTC', 0, 4))));
    expect(ltc.messages.find((m) => m.type === 'signal')!.data).toEqual(signals([record('LTC/BTC', 0)])[0]);

    hh.api.hub.publishOutcome({ prediction_id: record('XLM/BTC', 0).id, symbol: 'XLM/BTC', outcome: 'TP_HIT' });
    hh.api.hub.publishModel({ version: 'v1', status: 'active' });
    await vi.waitFor(() => expect(all.messages.filter((m) => m.type !== 'signal').map((m) => m.type)).toEqual(['outcome', 'model']));
    await vi.waitFor(() => expect(ltc.messages.filter((m) => m.type !== 'signal').map((m) => m.type)).toEqual(['model']));

    ltc.send({ type: 'unsubscribe', symbols: ['LTC/BTC'] });
    all.send({ type: 'unsubscribe', symbols: ['XLM/BTC'] });
    await vi.waitFor(() => expect(subs()).toEqual(['', '*,-XLM/BTC']));
    hh.api.hub.publishSignals(signals(mixed(5, 5)));
    await vi.waitFor(() => expect(all.signalIds().at(-1)).toBe(record('LTC/BTC', 5).id));
    expect(all.signalIds()).not.toContain(record('XLM/BTC', 5).id);
    expect(ltc.signalIds()).toHaveLength(5);
    expect(await metric(hh.registry, 'ws_clients')).toBe(2);
  });

  it('answers malformed messages with an error and keeps the connection', async () => {
    const hh = await server();
    const c = await client(hh);
    c.send('{nope');
    c.send({ type: 'dance' });
    c.send({ type: 'subscribe', symbols: ['not a symbol'] });
    c.send({ type: 'subscribe', symbols: 'LTC/BTC' });
    await vi.waitFor(() =>
      expect(c.messages.map((m) => m.code)).toEqual(['MALFORMED_JSON', 'INVALID_MESSAGE', 'INVALID_SYMBOL', 'INVALID_MESSAGE']),
    );
    await subscribe(hh, c, { symbols: ['LTC/BTC'] });
    hh.api.hub.publishSignals(signals([record('LTC/BTC', 0)]));
    await vi.waitFor(() => expect(c.signalIds()).toEqual([record('LTC/BTC', 0).id]));
  });
});

describe('bounds', () => {
  it('refuses upgrades beyond maxClients with 503, and more than maxMessagesPerSecond messages with an error', async () => {
    const hh = await server({ maxClients: 1, maxMessagesPerSecond: 2 }, { clock: { now: () => Date.UTC(2018, 0, 20) } });
    const c = await client(hh);
    expect((await upgradeStatus(hh.ws, auth('k'))).status).toBe(503);
    c.send({ type: 'subscribe', symbols: ['LTC/BTC'] });
    c.send({ type: 'subscribe', symbols: ['XLM/BTC'] });
    c.send({ type: 'subscribe', symbols: ['ZEC/BTC'] }); // third in the same (frozen) second
    await vi.waitFor(() => expect(c.messages.map((m) => m.code)).toEqual(['TOO_MANY_MESSAGES']));
    expect(hh.api.hub.clients()[0]!.symbols).toEqual(['LTC/BTC', 'XLM/BTC']);
  });
});

describe('since resume', () => {
  it('replays exactly k+1..n (stored, then only in the ring) in order, then continues live', async () => {
    // Ring of 5, store pages of 4: signals 11..25 come from the store over several pages,
    // 26..30 exist only in the ring (not persisted yet), 31..33 arrive live.
    const hh = await server({ ringSize: 5, catchUpPageSize: 4 });
    const all = records('LTC/BTC', 1, 33);
    const first = await client(hh);
    await subscribe(hh, first, { symbols: ['LTC/BTC'] });
    hh.api.hub.publishSignals(signals(all.slice(0, 10)));
    await vi.waitFor(() => expect(first.signalIds()).toEqual(ids(all.slice(0, 10))));
    hh.history.persist(all.slice(0, 10));
    first.ws.close();
    await first.closed;

    hh.api.hub.publishSignals(signals(all.slice(10, 30)));
    hh.history.persist(all.slice(10, 25));

    const again = await client(hh);
    await subscribe(hh, again, { symbols: ['LTC/BTC'], since: all[9]!.id });
    await vi.waitFor(() => expect(again.signalIds()).toHaveLength(20));
    hh.api.hub.publishSignals(signals(all.slice(30)));
    await vi.waitFor(() => expect(again.signalIds()).toEqual(ids(all.slice(10))));
    expect(again.messages.filter((m) => m.type === 'error')).toEqual([]);
    // The store was read in pages after the given id (cursor), not from the start.
    expect(hh.history.reads[0]!.after?.id).toBe(all[9]!.id);
    expect(hh.history.reads.length).toBeGreaterThanOrEqual(4);
  });

  it('no gap and no duplicate when live signals are published while the catch-up is reading', async () => {
    const hh = await server({ ringSize: 5, catchUpPageSize: 4 });
    const all = mixed(1, 25); // 50 signals, two symbols
    hh.history.persist(all.slice(0, 30));
    hh.api.hub.publishSignals(signals(all.slice(0, 35))); // 30..34 only in the ring

    // Hold the first two store reads and publish during each. The "outbox" persists 30..34 meanwhile,
    // but nothing published during the catch-up: 35..40 are then evicted from the ring and stored
    // nowhere, so only the client's held (pending) queue can deliver them.
    let release: (() => void)[] = [];
    hh.history.beforeRead = (n) => (n < 2 ? new Promise<void>((r) => release.push(r)) : Promise.resolve());

    const c = await client(hh);
    c.send({ type: 'subscribe', since: all[9]!.id });
    await vi.waitFor(() => expect(release).toHaveLength(1));
    hh.api.hub.publishSignals(signals(all.slice(35, 42)));
    hh.history.persist(all.slice(30, 35));
    release.shift()!();
    await vi.waitFor(() => expect(release).toHaveLength(1));
    hh.api.hub.publishSignals(signals(all.slice(42, 46)));
    release.shift()!();

    await vi.waitFor(() => expect(hh.api.hub.clients()[0]!.state).toBe('live'));
    hh.api.hub.publishSignals(signals(all.slice(46)));
    await vi.waitFor(() => expect(c.signalIds()).toHaveLength(40));
    expect(c.signalIds()).toEqual(ids(all.slice(10)));
    expect(c.messages.filter((m) => m.type === 'error')).toEqual([]);
    release = [];
  });

  it('holds live signals published during the catch-up and merges them without duplicates', async () => {
    // A large ring that starts at signal 10 (as after a restart): the resume reads 5..9 from the
    // store, and what is published during that read is in the ring and in pending at once.
    const hh = await server({ ringSize: 1000, catchUpPageSize: 3 });
    const all = records('LTC/BTC', 1, 40);
    hh.history.persist(all.slice(0, 20));
    hh.api.hub.publishSignals(signals(all.slice(9, 25)));
    let release: (() => void) | undefined;
    hh.history.beforeRead = (n) => (n === 0 ? new Promise<void>((r) => (release = r)) : Promise.resolve());
    const c = await client(hh);
    c.send({ type: 'subscribe', symbols: ['LTC/BTC'], since: all[4]!.id });
    await vi.waitFor(() => expect(release).toBeDefined());
    hh.api.hub.publishSignals(signals(all.slice(25, 35)));
    hh.api.hub.publishSignals(signals(all.slice(20, 30))); // re-published ids are ignored
    release!();
    await vi.waitFor(() => expect(hh.api.hub.clients()[0]!.state).toBe('live'));
    hh.api.hub.publishSignals(signals(all.slice(35)));
    await vi.waitFor(() => expect(c.signalIds()).toHaveLength(35));
    expect(c.signalIds()).toEqual(ids(all.slice(5)));
  });

  it('keeps order when the outbox stores a later signal before an earlier one during the catch-up', async () => {
    const hh = await server({ ringSize: 3, catchUpPageSize: 10 });
    const all = records('LTC/BTC', 1, 18);
    hh.history.persist(all.slice(0, 10));
    hh.api.hub.publishSignals(signals(all.slice(0, 10))); // ring: 8..10
    let release: (() => void) | undefined;
    hh.history.beforeRead = (n) => (n === 0 ? new Promise<void>((r) => (release = r)) : Promise.resolve());
    const c = await client(hh);
    c.send({ type: 'subscribe', since: all[1]!.id });
    await vi.waitFor(() => expect(release).toBeDefined());
    hh.api.hub.publishSignals(signals(all.slice(10, 16))); // ring: 14..16; 11..13 evicted, held for the client
    hh.history.persist([all[12]!]); // 13 stored before 11 and 12
    release!();
    await vi.waitFor(() => expect(hh.api.hub.clients()[0]!.state).toBe('live'));
    hh.api.hub.publishSignals(signals(all.slice(16)));
    await vi.waitFor(() => expect(c.signalIds()).toHaveLength(16));
    expect(c.signalIds()).toEqual(ids(all.slice(2)));
  });

  it('resumes from an ISO time (signals whose candle_time is strictly after it)', async () => {
    const hh = await server();
    const all = records('XLM/BTC', 0, 9);
    hh.history.persist(all.slice(0, 6));
    hh.api.hub.publishSignals(signals(all.slice(4)));
    const c = await client(hh);
    const since = new Date(all[2]!.candleTime).toISOString();
    c.send({ type: 'subscribe', symbols: ['XLM/BTC'], since });
    await vi.waitFor(() => expect(c.signalIds()).toEqual(ids(all.slice(3))));
    expect(hh.history.reads[0]).toMatchObject({ afterTime: all[2]!.candleTime, symbols: ['XLM/BTC'] });
  });

  it('an unknown since id is reported and the client continues live', async () => {
    const hh = await server();
    const c = await client(hh);
    c.send({ type: 'subscribe', since: '11111111-2222-4333-8444-555555555555' });
    await vi.waitFor(() => expect(c.messages.map((m) => m.code)).toEqual(['UNKNOWN_SINCE']));
    await vi.waitFor(() => expect(hh.api.hub.clients()[0]!.state).toBe('live'));
    hh.api.hub.publishSignals(signals([record('LTC/BTC', 7)]));
    await vi.waitFor(() => expect(c.signalIds()).toEqual([record('LTC/BTC', 7).id]));
  });

  it('says RESUME_GAP when the ring evicted signals the store does not have yet', async () => {
    const hh = await server({ ringSize: 3, gapRetries: 1, gapRetryMs: 10 });
    const all = records('LTC/BTC', 1, 10);
    hh.history.persist(all.slice(0, 3));
    hh.api.hub.publishSignals(signals(all)); // 4..7 evicted and never persisted; 8..10 in the ring
    const c = await client(hh);
    c.send({ type: 'subscribe', since: all[0]!.id });
    await vi.waitFor(() => expect(c.messages.some((m) => m.code === 'RESUME_GAP')).toBe(true));
    await vi.waitFor(() => expect(c.signalIds()).toEqual(ids([all[1]!, all[2]!, ...all.slice(7)])));
    expect(await metric(hh.registry, 'ws_resume_gaps_total')).toBe(1);
  });
});

describe('slow consumers, heartbeats, shutdown', () => {
  it('drops a client that stops reading while a fast one keeps receiving everything', async () => {
    const hh = await server({ maxBufferedBytes: 64 * 1024, closeGraceMs: 30_000, ringSize: 100 });
    const fast = await client(hh);
    const slow = await client(hh);
    await subscribe(hh, fast, {});
    await subscribe(hh, slow, {});
    await vi.waitFor(() => expect(hh.api.hub.clients().every((c) => c.state === 'live')).toBe(true));
    slow.ws.pause();

    // Publish ticks of 500 signals, each read in full by the fast client before the next, until
    // the slow client's backlog passes the bound (kernel buffers absorb the first MBs).
    const base = records('LTC/BTC', 0, 499);
    let published = 0;
    for (let round = 0; round < 200 && (await metric(hh.registry, 'ws_clients_dropped_total', { reason: 'slow_consumer' })) === 0; round++) {
      hh.api.hub.publishSignals(signals(base.map((r) => ({ ...r, id: `${(round + 1).toString(16).padStart(8, '0')}${r.id.slice(8)}`, candleTime: r.candleTime + round * 86_400_000 * 3 }))));
      published += base.length;
      await vi.waitFor(() => expect(fast.signalIds()).toHaveLength(published), { timeout: 10_000, interval: 5 });
    }
    expect(await metric(hh.registry, 'ws_clients_dropped_total', { reason: 'slow_consumer' })).toBe(1);
    expect(new Set(fast.signalIds()).size).toBe(published);

    // Published after the drop: the fast client gets it, the dropped one never does.
    hh.api.hub.publishSignals(signals([record('XLM/BTC', 0)]));
    await vi.waitFor(() => expect(fast.signalIds().at(-1)).toBe(record('XLM/BTC', 0).id));
    slow.ws.resume();
    const closed = await slow.closed;
    expect(closed.code).toBe(1013);
    expect(slow.signalIds().length).toBeLessThanOrEqual(published);
    expect(slow.signalIds()).not.toContain(record('XLM/BTC', 0).id);
    await vi.waitFor(() => expect(hh.api.hub.clientCount).toBe(1));
  });

  it('terminates a client that does not answer pings; a ponging one stays', async () => {
    const hh = await server({ pingIntervalMs: 250 });
    const healthy = await client(hh);
    const dead = await client(hh, { autoPong: false });
    await dead.closed;
    expect(await metric(hh.registry, 'ws_clients_dropped_total', { reason: 'ping_timeout' })).toBe(1);
    // The healthy client lived through the same pings and still gets signals.
    await subscribe(hh, healthy, {});
    hh.api.hub.publishSignals(signals([record('LTC/BTC', 0)]));
    await vi.waitFor(() => expect(healthy.signalIds()).toEqual([record('LTC/BTC', 0).id]));
    expect(hh.api.hub.clientCount).toBe(1);
  });

  it('closes a connected client with 1008 once its key is revoked (checked at each ping)', async () => {
    const hh = await server({ pingIntervalMs: 40 });
    const c = await client(hh);
    hh.keys.revoke('k');
    expect((await c.closed).code).toBe(1008);
    expect(await metric(hh.registry, 'ws_clients_dropped_total', { reason: 'key_revoked' })).toBe(1);
  });

  it('stop() closes every client with 1001, stops listening, and is idempotent', async () => {
    const hh = await server();
    const a = await client(hh);
    const b = await client(hh);
    await subscribe(hh, a, {});
    const stopping = hh.api.stop();
    expect(hh.api.stop()).toBe(stopping);
    const [ca, cb] = await Promise.all([a.closed, b.closed]);
    expect([ca.code, cb.code]).toEqual([1001, 1001]);
    await stopping;
    await expect(fetch(`${hh.base}/healthz`)).rejects.toThrow();
    expect(await metric(hh.registry, 'ws_clients')).toBe(0);
  });
});
