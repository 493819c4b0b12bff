import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareCursors } from '../../src/domain/prediction.ts';
import { SignalRing, type RingEntry } from '../../src/serve/signal-ring.ts';

const entry = (t: number, symbol: string, id: string): RingEntry => ({
  cursor: { candleTime: t, symbol, timeframe: '5m', modelVersion: 'rules', id },
  frame: Buffer.from(id),
});

describe('SignalRing', () => {
  it('keeps the newest `capacity` signals in stream order whatever the insertion order (model: sorted array)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 8 }),
        fc.uniqueArray(fc.record({ t: fc.integer({ min: 0, max: 20 }), s: fc.constantFrom('LTC/BTC', 'XLM/BTC'), id: fc.uuid() }), {
          selector: (x) => x.id,
          maxLength: 40,
        }),
        fc.record({ t: fc.integer({ min: -1, max: 21 }), s: fc.constantFrom('LTC/BTC', 'XLM/BTC', 'ZEC/BTC') }),
        (cap, items, probe) => {
          const ring = new SignalRing(cap);
          const evicted: RingEntry[] = [];
          const all = items.map((x) => entry(x.t, x.s, x.id));
          for (const e of all) {
            const out = ring.insert(e);
            if (out) evicted.push(out);
          }
          const sorted = [...all].sort((a, b) => compareCursors(a.cursor, b.cursor));
          const kept = cap === 0 ? [] : sorted.slice(-cap);
          const inRing = Array.from({ length: ring.size }, (_, i) => ring.at(i));
          expect(inRing.map((e) => e.cursor.id)).toEqual(kept.map((e) => e.cursor.id));
          expect(evicted.length + ring.size).toBe(all.length);
          for (const e of kept) expect(ring.get(e.cursor.id)).toBe(e);
          for (const e of evicted) expect(ring.get(e.cursor.id)).toBeUndefined();
          const pos = { cursor: { candleTime: probe.t, symbol: probe.s, timeframe: '5m', modelVersion: 'rules', id: '' } };
          expect(ring.after(pos).map((e) => e.cursor.id)).toEqual(kept.filter((e) => compareCursors(e.cursor, pos.cursor) > 0).map((e) => e.cursor.id));
          expect(ring.after({ time: probe.t }).map((e) => e.cursor.id)).toEqual(kept.filter((e) => e.cursor.candleTime > probe.t).map((e) => e.cursor.id));
        },
      ),
    );
  });
});
