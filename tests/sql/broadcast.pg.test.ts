/**
 * Realtime Broadcast from the database (sql/20261204001100_broadcast.sql) on real Postgres, with
 * the compatibility realtime schema standing in for Supabase's: a new signal and its outcome each
 * reach signals:<BASE>_<QUOTE> and signals:all with broadcast_changes' payload, and RLS on
 * realtime.messages lets `authenticated` receive them and `anon` only once configured. Realtime
 * authorises a join by selecting from realtime.messages as the joining role with realtime.topic set
 * to the channel's topic (supabase/realtime, Authorization); the queries below do the same.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';

const server = await serverPostgres();

describe.runIf(server.available)('signal broadcasts (server Postgres)', () => {
  const schema = uniqueSchema('sbt_bc');
  const db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 1 });
  let c: pg.Client;
  const id = '6f1d3c2e-8a4b-4c5d-9e6f-7a8b9c0d1e2f';

  /** The messages of this schema's signals on `topic`, as `role` sees them when joining `topic`. */
  async function visible(role: 'anon' | 'authenticated' | null, topic: string): Promise<{ event: string; payload: Record<string, unknown> }[]> {
    await c.query('BEGIN');
    try {
      await c.query(`SELECT set_config('realtime.topic', $1, true)`, [topic]);
      if (role) {
        await c.query(`SELECT set_config('request.jwt.claims', $1, true)`, [JSON.stringify({ role, ...(role === 'authenticated' ? { sub: '00000000-0000-4000-8000-000000000001' } : {}) })]);
        await c.query(`SET LOCAL ROLE ${role}`);
      }
      const r = await c.query(`SELECT event, payload FROM realtime.messages WHERE topic = $1 AND payload->>'schema' = $2 ORDER BY inserted_at, event DESC`, [topic, schema]);
      return r.rows;
    } finally {
      await c.query('ROLLBACK');
    }
  }

  beforeAll(async () => {
    await migrate(db, { schema });
    c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`SET search_path TO "${schema}", public`);
  });
  afterAll(async () => {
    await c?.end();
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  });

  it('is harmless without Realtime: the stub keeps nothing and the insert succeeds', async () => {
    await c.query(`INSERT INTO ml_predictions (id, model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
      VALUES (gen_random_uuid(), 'v1', 'XLM/BTC', '5m', now(), '{}', 'BUY', 0.6, 1)`);
    expect(await visible(null, 'signals:XLM_BTC')).toEqual([]);
  });

  it('broadcasts a new signal and its outcome to the symbol topic and signals:all', async () => {
    await c.query(`SET signalbase.capture_broadcasts = 'on'`);
    await c.query(`SELECT sb_insert_predictions($1)`, [JSON.stringify([{ id, model_version: 'v1', symbol: 'LTC/BTC', timeframe: '5m', candle_ms: Date.UTC(2026, 11, 4, 12), prediction_type: 'SIGNAL', input_features: {}, technical_indicators: { rsi_value: 55 }, predicted_direction: 'BUY', confidence_score: 0.7, entry_price: 0.01, stop_loss: 0.0098, take_profit: 0.0103, created_ms: Date.now() }])]);
    await c.query(`SELECT sb_resolve_predictions($1)`, [JSON.stringify([{ id, outcome: 'TP_HIT', exit_price: 0.0103, profit_loss: 2.8, outcome_ms: Date.UTC(2026, 11, 4, 14) }])]);
    // A replayed outcome changes nothing and broadcasts nothing more.
    await c.query(`SELECT sb_resolve_predictions($1)`, [JSON.stringify([{ id, outcome: 'SL_HIT', exit_price: 0.0098, profit_loss: -2, outcome_ms: Date.UTC(2026, 11, 4, 15) }])]);
    await c.query(`RESET signalbase.capture_broadcasts`);
    for (const topic of ['signals:LTC_BTC', 'signals:all']) {
      const msgs = await visible(null, topic);
      expect(msgs.map((m) => m.event)).toEqual(['signal', 'outcome']);
      const [signal, outcome] = msgs;
      expect(signal!.payload).toMatchObject({ operation: 'INSERT', table: 'ml_predictions', schema, old_record: null, record: { id, symbol: 'LTC/BTC', predicted_direction: 'BUY', actual_outcome: null } });
      expect(outcome!.payload).toMatchObject({ operation: 'UPDATE', table: 'ml_predictions', record: { id, actual_outcome: 'TP_HIT', actual_profit_loss: 2.8 }, old_record: { id, actual_outcome: null } });
    }
    expect(await visible(null, 'signals:XLM_BTC')).toEqual([]);
  });

  it('lets authenticated receive the signal topics, anon none until configured, nobody other topics', async () => {
    expect((await visible('authenticated', 'signals:LTC_BTC')).map((m) => m.event)).toEqual(['signal', 'outcome']);
    expect((await visible('authenticated', 'signals:all')).length).toBe(2);
    expect(await visible('anon', 'signals:LTC_BTC')).toEqual([]);
    expect(await visible('anon', 'signals:all')).toEqual([]);
    // Not a signal topic: the policies do not open it, even for authenticated.
    await c.query(`INSERT INTO realtime.messages (topic, extension, payload, event, private) VALUES ('private:x', 'broadcast', $1, 'e', true)`, [{ schema }]);
    expect(await visible('authenticated', 'private:x')).toEqual([]);

    await c.query(`UPDATE ml_broadcast_settings SET anon_receives_signals = true, updated_at = now()`);
    try {
      expect((await visible('anon', 'signals:LTC_BTC')).map((m) => m.event)).toEqual(['signal', 'outcome']);
    } finally {
      await c.query(`UPDATE ml_broadcast_settings SET anon_receives_signals = false`);
    }
    expect(await visible('anon', 'signals:LTC_BTC')).toEqual([]);
  });
});
