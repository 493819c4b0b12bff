/**
 * GET /v1/scorecard (serve/scorecard-route.ts) over HTTP on loopback: any key, the query passed to
 * the store as the scorecard port takes it, malformed queries refused with 400 before the store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScorecardQuery, ScorecardRow } from '../../src/store/queries/quality.ts';
import { startServer, type Harness } from './helpers.ts';

const asked: ScorecardQuery[] = [];
const ROW = { model_version: 'v1', symbol: 'LTC/BTC', signals: 3, trades: 2, mean_pnl_pct: 0.5 } as ScorecardRow;
let h: Harness;
let key = '';

beforeAll(async () => {
  h = await startServer({
    scorecard: async (q) => {
      asked.push(q);
      return [ROW];
    },
  });
  key = h.keys.add('sb_stream_key_for_the_scorecard_test_0000', 'stream');
});
afterAll(async () => {
  await h?.api.stop();
});

const get = (path: string, auth = true) => fetch(`${h.base}${path}`, { headers: auth ? { authorization: `Bearer ${key}` } : {} });

describe('GET /v1/scorecard', () => {
  it('answers any key with the rows for the query; the symbol resolved as other routes do', async () => {
    const res = await get('/v1/scorecard?model=v1&symbol=LTCBTC&days=30');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ model: 'v1', symbol: 'LTC/BTC', days: 30, rows: [ROW] });
    expect(asked.at(-1)).toEqual({ modelVersion: 'v1', symbol: 'LTC/BTC', days: 30 });
    expect((await get('/v1/scorecard')).status).toBe(200);
    expect(asked.at(-1)).toEqual({ modelVersion: null, symbol: null, days: null });
  });

  it('refuses no key (401) and malformed queries (400) without asking the store', async () => {
    const before = asked.length;
    expect((await get('/v1/scorecard', false)).status).toBe(401);
    for (const q of ['days=0', 'days=-1', 'days=abc', 'days=99999', 'model=%3Bdrop']) {
      const res = await get(`/v1/scorecard?${q}`);
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_QUERY');
    }
    expect(asked.length).toBe(before);
  });
});
