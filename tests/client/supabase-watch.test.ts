/**
 * `signalbase watch --supabase --token JWT` (child process) against a fake Realtime fed by a real
 * embedded store: it prints the inserted signals of the chosen symbol, one JSON Signal a line equal to the
 * daemon's Signal for the stored row, and exits 0 promptly on Ctrl-C (no timer of realtime-js
 * keeps it alive). Bad usage exits 2 with one line.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Signal } from '../../src/client/index.ts';
import { toSignal } from '../../src/domain/signal.ts';
import type { SqlStore } from '../../src/store/sql-store.ts';
import { realtimeFor } from '../helpers/fake-realtime.ts';
import { memoryStore } from '../helpers/pg.ts';
import { runCli, spawnCli } from '../store/cli-run.ts';
import { prediction } from '../store/fixtures.ts';

const KEY = 'anon-key-for-watch-0123456789';
/** A signed-in user's token: the only one this fake Realtime accepts in a join (RLS lets users read signals). */
const JWT = 'eyJ.user-jwt-for-watch.sig';
const T0 = Date.UTC(2018, 0, 20, 10, 5);

let store: SqlStore;
let realtime: Awaited<ReturnType<typeof realtimeFor>>;

beforeAll(async () => {
  store = await memoryStore('public');
  realtime = await realtimeFor(store.client, 'public', KEY, { accessTokens: [JWT] });
}, 60_000);

afterAll(async () => {
  await realtime?.close();
  await store?.close();
});

describe('signalbase watch --supabase', () => {
  it('prints the chosen symbol\'s signals as the daemon publishes them and exits 0 on Ctrl-C', async () => {
    const watch = spawnCli(['watch', '--supabase', '--url', realtime.server.url, '--key', KEY, '--token', JWT, '--symbols', 'XLM/BTC'], {});
    try {
      await vi.waitFor(() => expect(watch.err).toContain('connected to Supabase Realtime'), { timeout: 30_000, interval: 50 });
      const written = [0, 1, 2, 3].map((i) => prediction({ symbol: i % 2 ? 'LTC/BTC' : 'XLM/BTC', candleTime: T0 + i * 300_000 }));
      await store.insertPredictions(written);
      const expected = written.filter((p) => p.symbol === 'XLM/BTC').map(toSignal);
      await vi.waitFor(() => expect(watch.out.split('\n').filter(Boolean)).toHaveLength(expected.length), { timeout: 10_000, interval: 50 });
      expect(watch.out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Signal)).toEqual(expected);
    } finally {
      watch.child.kill('SIGINT');
    }
    const t = Date.now();
    expect(await watch.exited, watch.err).toBe(0);
    expect(Date.now() - t).toBeLessThan(5_000);
    expect(realtime.server.joins.some((j) => JSON.stringify(j.payload).includes('symbol=eq.XLM/BTC'))).toBe(true);
  }, 60_000);

  it.each([
    [['watch', '--supabase'], 'needs the project URL'],
    [['watch', '--supabase', '--url', 'https://x.supabase.co'], 'needs --key'],
    [['watch', '--url', 'https://x.supabase.co', '--key', 'k', '--since', '2018-01-20T10:05:00Z'], 'does not replay'],
    [['watch', '--supabase', '--url', 'ws://x.supabase.co', '--key', 'k'], "must be the project's https:// URL"],
  ])('%j exits 2 with one line', async (args, text) => {
    const r = await runCli(args, {});
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(text);
    expect(r.stdout).toBe('');
  });
});
