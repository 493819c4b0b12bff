/**
 * The client's small parts: backoff (capped, jittered, reset), the bounded dedupe window, the
 * subscription set sent to the server, frame validation, and option checks.
 */
import { describe, expect, it } from 'vitest';
import { createBackoff } from '../../src/client/backoff.ts';
import { parseServerFrame } from '../../src/client/frames.ts';
import { createSignalClient, SignalClientError } from '../../src/client/index.ts';
import { Listeners } from '../../src/client/listeners.ts';
import { RecentIds } from '../../src/client/recent-ids.ts';

describe('backoff', () => {
  it('doubles from initialMs up to maxMs, each delay within [step/2, step]', () => {
    const lo = createBackoff({ initialMs: 100, maxMs: 1000 }, () => 0);
    const hi = createBackoff({ initialMs: 100, maxMs: 1000 }, () => 1);
    const steps = [100, 200, 400, 800, 1000, 1000];
    expect(steps.map(() => lo.next())).toEqual(steps.map((s) => s / 2));
    expect(steps.map(() => hi.next())).toEqual(steps);
    hi.reset();
    expect(hi.attempt).toBe(0);
    expect(hi.next()).toBe(100);
  });
});

describe('RecentIds', () => {
  it('refuses a duplicate and forgets the oldest id past its capacity', () => {
    const ids = new RecentIds(2);
    expect(ids.add('a')).toBe(true);
    expect(ids.add('a')).toBe(false);
    expect(ids.add('b')).toBe(true);
    expect(ids.add('c')).toBe(true); // 'a' forgotten
    expect(ids.add('b')).toBe(false);
    expect(ids.add('a')).toBe(true);
    expect(ids.size).toBe(2);
  });
});

describe('Listeners', () => {
  it('the server subscription is the union of prediction symbols, null once any is "*"', () => {
    const l = new Listeners();
    expect(l.symbols()).toEqual([]);
    const ltc = l.add('predictions', () => undefined, 'LTC/BTC');
    l.add('predictions', () => undefined, 'XLM/BTC');
    l.add('predictions', () => undefined, 'LTC/BTC');
    l.add('model', () => undefined);
    expect(l.symbols()).toEqual(['LTC/BTC', 'XLM/BTC']);
    const all = l.add('predictions', () => undefined, '*');
    expect(l.symbols()).toBeNull();
    expect(l.for('predictions', 'ZEC/BTC')).toHaveLength(1); // only '*'
    expect(l.for('predictions', 'LTC/BTC')).toHaveLength(3);
    l.remove(all);
    l.remove('XLM/BTC');
    expect(l.symbols()).toEqual(['LTC/BTC']);
    l.remove(ltc);
    expect(l.symbols()).toEqual(['LTC/BTC']); // the other LTC/BTC subscription remains
    l.add('status', () => undefined);
    l.remove(undefined);
    expect(l.symbols()).toEqual([]);
    expect(l.active).toBe(false);
    expect(l.for('status')).toHaveLength(1); // status listeners outlive unsubscribe()
  });

  it('an outcome subscription makes the stream carry its symbol too, and goes with it', () => {
    const l = new Listeners();
    l.add('outcomes', () => undefined, 'XLM/BTC');
    l.add('predictions', () => undefined, 'LTC/BTC');
    expect(l.symbols()).toEqual(['LTC/BTC', 'XLM/BTC']);
    expect(l.listenedSymbols()).toEqual(['LTC/BTC', 'XLM/BTC']);
    expect(l.for('outcomes', 'XLM/BTC')).toHaveLength(1);
    expect(l.for('predictions', 'XLM/BTC')).toHaveLength(0);
    l.remove('XLM/BTC');
    expect(l.symbols()).toEqual(['LTC/BTC']);
  });
});

describe('frames', () => {
  it('accepts the documented frames and rejects malformed ones', () => {
    expect(parseServerFrame('{"type":"signal","data":{"id":"x","symbol":"LTC/BTC","candle_time":"2018-01-01T00:00:00.000Z"}}')).toMatchObject({ frame: { type: 'signal' } });
    expect(parseServerFrame('{"type":"error","code":"RESUME_GAP","message":"m"}')).toEqual({ frame: { type: 'error', code: 'RESUME_GAP', message: 'm' } });
    expect(parseServerFrame('{"type":"future","data":{}}')).toEqual({ frame: null });
    expect(parseServerFrame('{"type":"outcome","data":{"prediction_id":"p","symbol":"LTC/BTC","outcome":"TP_HIT"}}')).toMatchObject({ frame: { type: 'outcome', data: { prediction_id: 'p' } } });
    expect(parseServerFrame('{"type":"outcome","data":{"symbol":"LTC/BTC","outcome":"TP_HIT"}}')).toHaveProperty('invalid');
    expect(parseServerFrame('{"type":"signal","data":{"symbol":"LTC/BTC"}}')).toHaveProperty('invalid');
    expect(parseServerFrame('nope')).toHaveProperty('invalid');
  });
});

describe('createSignalClient options', () => {
  it('refuses a non-websocket URL, an empty key, a non-http Supabase URL and an empty Supabase key', () => {
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return err instanceof SignalClientError ? err.code : 'other';
      }
      return 'none';
    };
    expect(codeOf(() => createSignalClient({ transport: 'daemon', url: 'http://127.0.0.1:1/v1/stream', key: 'k' }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => createSignalClient({ transport: 'daemon', url: 'ws://127.0.0.1:1/v1/stream', key: ' ' }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => createSignalClient({ transport: 'supabase', supabaseUrl: 'ws://x.supabase.co', supabaseKey: 'k' }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => createSignalClient({ transport: 'supabase', supabaseUrl: 'not a url', supabaseKey: 'k' }))).toBe('INVALID_OPTIONS');
    expect(codeOf(() => createSignalClient({ transport: 'supabase', supabaseUrl: 'https://x.supabase.co', supabaseKey: ' ' }))).toBe('INVALID_OPTIONS');
  });
});
