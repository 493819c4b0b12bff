/**
 * Issue 13 item 1, the attack as reported: during a replay, a prediction key posts forged candles
 * whose last open time the live loop has not reached yet. Before the fix the API row took the live
 * signal's natural key and id, the live insert became a no-op and the record carried the forged
 * prices. Now every stored SIGNAL row equals the one an untouched run stores (symbol, candle,
 * direction, entry), the forged computations are API rows of their own (the calling key recorded),
 * never resolved by the tracker, never training samples, never in GET /v1/signals.
 *
 * Two daemon children on two fresh schemas of the test Postgres, the same 300 real candles of two
 * symbols (data/sample, Binance). Run A is untouched (--once, full speed); run B replays at 6000x
 * while the attacker posts.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readReplayFile } from '../../src/ingest/replay-file.ts';
import { createLogger } from '../../src/log.ts';
import { IndicatorSet } from '../../src/features/indicator-set.ts';
import type { Signal } from '../../src/domain/signal.ts';
import { freePort, removeDir, replayDir, spawnDaemon, tempDir } from '../helpers/daemon.ts';
import { createTestSchema, serverPostgres, type TestSchema } from '../helpers/pg.ts';
import { pgStore } from '../e2e/helpers.ts';

const pgServer = await serverPostgres();
const FILES = ['LTC_BTC-5m.json', 'XLM_BTC-5m.json'];
const N = 300;
/** Warm-up plus one model window (the daemon's T = 60): the most candles a caller may send. */
const MAX = IndicatorSet.WARMUP_CANDLES + 60;

type Row = { symbol: string; candle_time: Date; predicted_direction: string; entry_price: number };

async function signalRows(url: string, schema: string): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<Row>(
      `SELECT symbol, candle_time, predicted_direction, entry_price FROM "${schema}".ml_predictions
       WHERE prediction_type = 'SIGNAL' ORDER BY candle_time, symbol`,
    );
    return rows.map((r) => `${r.symbol} ${r.candle_time.toISOString()} ${r.predicted_direction} ${r.entry_price}`);
  } finally {
    await c.end();
  }
}

describe.runIf(pgServer.available)('signal forgery through POST /v1/predict', () => {
  const schemas: TestSchema[] = [];
  const dirs: string[] = [];
  let feed: string;
  let clean: TestSchema;
  let attacked: TestSchema;
  let key: { id: string; key: string };

  beforeAll(async () => {
    clean = createTestSchema('sbt_forge_a');
    attacked = createTestSchema('sbt_forge_b');
    schemas.push(clean, attacked);
    for (const s of schemas) await (await pgStore(s.url, s.schema, true)).close();
    const store = await pgStore(attacked.url, attacked.schema);
    try {
      key = await store.createApiKey({ name: 'attacker', type: 'prediction' });
    } finally {
      await store.close();
    }
    feed = replayDir(FILES, N);
    dirs.push(feed);
  }, 120_000);

  afterAll(async () => {
    for (const s of schemas) await s.drop();
    for (const d of dirs) removeDir(d);
  });

  it('every stored SIGNAL row equals the untouched run; forged candles stay API rows of the caller', async () => {
    const untouchedDir = tempDir('forge-a');
    dirs.push(untouchedDir);
    const a = spawnDaemon(['--feed', `replay:${feed}`, '--once'], {
      DATABASE_URL: clean.url,
      SIGNALBASE_SCHEMA: clean.schema,
      SIGNALBASE_DATA_DIR: untouchedDir,
      PORT: String(await freePort()),
    });
    expect(await a.exited, a.stderr()).toBe(0);
    const expected = await signalRows(clean.url, clean.schema);
    expect(expected.length).toBe(2 * (N - IndicatorSet.WARMUP_CANDLES + 1));

    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const attackedDir = tempDir('forge-b');
    dirs.push(attackedDir);
    const b = spawnDaemon(['--feed', `replay:${feed}?speed=6000`, '--once'], {
      DATABASE_URL: attacked.url,
      SIGNALBASE_SCHEMA: attacked.schema,
      SIGNALBASE_DATA_DIR: attackedDir,
      PORT: String(port),
    });
    let exited = false;
    void b.exited.then(() => (exited = true));
    const auth = { Authorization: `Bearer ${key.key}`, 'Content-Type': 'application/json' };
    const log = createLogger({ level: 'silent', pretty: false });
    const real = new Map<string, { openTime: number; open: number; high: number; low: number; close: number; volume: number }[]>();
    for (const f of FILES) real.set(f.replace('_', '/').replace('-5m.json', ''), await readReplayFile(`${feed}/${f}`, { log }));

    // The live loop's position, then candles up to 20 ahead of it with the last 10 prices doubled.
    const forgedAhead: { symbol: string; candleTime: number; entry: number }[] = [];
    await vi.waitFor(async () => expect((await fetch(`${base}/healthz`)).status).toBe(200), { timeout: 120_000, interval: 100 });
    while (!exited) {
      for (const symbol of real.keys()) {
        const ind = await fetch(`${base}/v1/indicators/${encodeURIComponent(symbol)}`, { headers: auth }).catch(() => null);
        if (!ind || ind.status !== 200) continue;
        const liveAt = Date.parse(((await ind.json()) as { candle_time: string }).candle_time);
        const bars = real.get(symbol)!;
        const at = bars.findIndex((c) => c.openTime === liveAt);
        const end = at + 20;
        if (at < 0 || end >= bars.length) continue;
        const rows = bars.slice(end - MAX + 1, end + 1).map((c, i, all) => {
          const f = i >= all.length - 10 ? 2 : 1;
          return [c.openTime, c.open * f, c.high * f, c.low * f, c.close * f, c.volume];
        });
        const res = await fetch(`${base}/v1/predict`, { method: 'POST', headers: auth, body: JSON.stringify({ symbol, candles: rows }) }).catch(() => null);
        if (res?.status === 200) {
          const s = (await res.json()) as Signal;
          forgedAhead.push({ symbol, candleTime: Date.parse(s.candle_time), entry: s.entry_price });
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await b.exited, b.stderr()).toBe(0);
    // The attack happened, ahead of the loop, many times.
    expect(forgedAhead.length).toBeGreaterThanOrEqual(10);

    expect(await signalRows(attacked.url, attacked.schema)).toEqual(expected);

    const c = new pg.Client({ connectionString: attacked.url });
    await c.connect();
    try {
      const s = `"${attacked.schema}"`;
      const api = await c.query<{ n: number; keyed: number; resolved: number }>(
        `SELECT count(*)::int AS n, count(*) FILTER (WHERE api_key_id = $1)::int AS keyed,
                count(*) FILTER (WHERE actual_outcome IS NOT NULL)::int AS resolved
         FROM ${s}.ml_predictions WHERE prediction_type = 'API'`,
        [key.id],
      );
      expect(api.rows[0]).toEqual({ n: forgedAhead.length, keyed: forgedAhead.length, resolved: 0 });
      // The forged entry prices are in API rows only; the SIGNAL at the same candle has the real price.
      const forged = forgedAhead[0]!;
      const sig = await c.query<{ entry_price: number }>(
        `SELECT entry_price FROM ${s}.ml_predictions WHERE prediction_type = 'SIGNAL' AND symbol = $1 AND candle_time = to_timestamp($2 / 1000.0)`,
        [forged.symbol, forged.candleTime],
      );
      expect(sig.rows).toHaveLength(1);
      expect(sig.rows[0]!.entry_price).not.toBe(forged.entry);
      const samples = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${s}.ml_training_samples t JOIN ${s}.ml_predictions p ON p.id = t.prediction_id WHERE p.prediction_type <> 'SIGNAL'`,
      );
      expect(samples.rows[0]!.n).toBe(0);
    } finally {
      await c.end();
    }
  }, 400_000);
});
