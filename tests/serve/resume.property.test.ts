/**
 * Property: a `since` resume delivers exactly the signals after `since` that match the client's
 * filter, in stream order, once each, whatever the ring size, page size and store lag, and whatever
 * is published or persisted (in any order, as a retrying outbox may) while the catch-up runs, as
 * long as every signal published before the resume is stored by the time the ring evicts it
 * (DESIGN: the ring covers the outbox's lag). Real server and real ws client; the store is the
 * in-memory SignalHistory.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { connect, mixed, signals, startServer, type Harness } from './helpers.ts';

const ALL = mixed(0, 39); // 80 signals over LTC/BTC and XLM/BTC, real candle times

const action = fc.record({
  publish: fc.integer({ min: 0, max: 12 }),
  /** Which not-yet-stored published signals the outbox writes now (fractions pick positions). */
  persist: fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 6 }),
  /** Run on the next turn of the event loop instead of inside the store read. */
  later: fc.boolean(),
});
type Action = typeof action extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc
  .record({
    total: fc.integer({ min: 4, max: ALL.length }),
    ring: fc.integer({ min: 1, max: 8 }),
    page: fc.integer({ min: 1, max: 5 }),
    p0: fc.nat({ max: 10_000 }),
    k: fc.nat({ max: 10_000 }),
    stored: fc.array(fc.boolean(), { minLength: ALL.length, maxLength: ALL.length }),
    ltcOnly: fc.boolean(),
    actions: fc.array(action, { maxLength: 16 }),
  })
  .map((s) => {
    const p0 = 1 + (s.p0 % (s.total - 1)); // published before the resume: 1..total-1
    const k = s.k % p0; // since = ALL[k]
    // Before the resume: whatever left the ring is stored; the rest is stored or not, at random.
    const initiallyStored = [...Array(p0).keys()].filter((i) => i < p0 - s.ring || s.stored[i]);
    return { ...s, p0, k, initiallyStored };
  })
  .filter((s) => s.k >= s.p0 - s.ring || s.initiallyStored.includes(s.k)); // `since` must be findable

let h: Harness | undefined;
afterAll(async () => {
  await h?.api.stop();
});

describe('since resume (property)', () => {
  it('delivers exactly the signals after since, in order, once each', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (sc) => {
        h = await startServer({ options: { stream: { ringSize: sc.ring, catchUpPageSize: sc.page, gapRetries: 0, gapRetryMs: 1 } } });
        h.keys.add('k', 'stream');
        const hh = h;
        const rows = ALL.slice(0, sc.total);
        const stored = new Set<number>();
        let published = 0;
        const store = (ids: number[]) => {
          const fresh = ids.filter((i) => i < published && !stored.has(i));
          for (const i of fresh) stored.add(i);
          hh.history.persist(fresh.map((i) => rows[i]!));
        };
        const publishTo = (n: number) => {
          if (n <= published) return;
          hh.api.hub.publishSignals(signals(rows.slice(published, n)));
          published = n;
          // The outbox keeps up within the ring for everything published before the resume.
          store([...Array(Math.max(0, Math.min(sc.p0, published - sc.ring))).keys()]);
        };
        publishTo(sc.p0);
        store(sc.initiallyStored);

        const actions = [...sc.actions];
        const act = (a: Action) => {
          publishTo(Math.min(rows.length, published + a.publish));
          const unstored = [...Array(published).keys()].filter((i) => !stored.has(i));
          store(a.persist.map((f) => unstored[Math.floor(f * unstored.length)]!).filter((i) => i !== undefined));
        };
        hh.history.beforeRead = async () => {
          const a = actions.shift();
          if (!a) return;
          if (a.later) setImmediate(() => act(a));
          else act(a);
        };

        const c = await connect(hh.ws, { authorization: 'Bearer k' });
        c.send({ type: 'subscribe', symbols: sc.ltcOnly ? ['LTC/BTC'] : ['*'], since: rows[sc.k]!.id });
        // While the client catches up, keep publishing between turns of the event loop too.
        while (hh.api.hub.clients()[0]?.state !== 'live') {
          await new Promise((r) => setImmediate(r));
          if (hh.api.hub.clients()[0]?.state === 'catching_up' && actions.length && actions[0]!.later) act(actions.shift()!);
        }
        await new Promise((r) => setImmediate(r));
        while (actions.length) act(actions.shift()!);
        publishTo(rows.length);

        const expected = rows.slice(sc.k + 1).filter((r) => !sc.ltcOnly || r.symbol === 'LTC/BTC').map((r) => r.id);
        await vi.waitFor(() => expect(c.signalIds().length).toBeGreaterThanOrEqual(expected.length), { interval: 2 });
        await new Promise((r) => setImmediate(r));
        expect(c.messages.filter((m) => m.type === 'error')).toEqual([]);
        expect(c.signalIds()).toEqual(expected);
        c.ws.terminate();
        await hh.api.stop();
        h = undefined;
      }),
      { numRuns: 100 },
    );
  });
});
