/**
 * Issue 13 item 1 on the Broadcast path (sql/20261204001300_broadcast_signals_only.sql): an API
 * row (a caller's computation over its own candles) is never broadcast to the signal topics; the
 * SIGNAL row of the same candle is. Real Postgres with the compatibility realtime schema capturing
 * what would be sent, as tests/sql/broadcast.pg.test.ts does.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';

const server = await serverPostgres();

describe.runIf(server.available)('broadcasts carry SIGNAL rows only', () => {
  const schema = uniqueSchema('sbt_bcapi');
  const db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 1 });
  let c: pg.Client;

  beforeAll(async () => {
    await migrate(db, { schema });
    c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`SET search_path TO "${schema}", public`);
  }, 120_000);
  afterAll(async () => {
    await c?.end();
    await db.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await db.close();
  });

  const row = (id: string, type: 'SIGNAL' | 'API', entry: number) => ({
    id, model_version: 'rules', symbol: 'ZEC/BTC', timeframe: '5m', candle_ms: Date.UTC(2026, 11, 4, 12), prediction_type: type,
    input_features: {}, technical_indicators: {}, predicted_direction: 'BUY', confidence_score: 0.7, entry_price: entry, created_ms: Date.now(),
  });

  it('an API row reaches no topic; the SIGNAL of the same candle does', async () => {
    const forged = randomUUID();
    const real = randomUUID();
    await c.query(`SET signalbase.capture_broadcasts = 'on'`);
    try {
      // The forged computation first, ahead of the live loop, as in the attack.
      expect((await c.query(`SELECT sb_insert_predictions($1) AS n`, [JSON.stringify([row(forged, 'API', 0.02)])])).rows[0].n).toBe(1);
      await c.query(`SELECT sb_resolve_predictions($1)`, [JSON.stringify([{ id: forged, outcome: 'TP_HIT', exit_price: 0.03, profit_loss: 50, outcome_ms: Date.now() }])]);
      expect((await c.query(`SELECT sb_insert_predictions($1) AS n`, [JSON.stringify([row(real, 'SIGNAL', 0.01)])])).rows[0].n).toBe(1);
    } finally {
      await c.query(`RESET signalbase.capture_broadcasts`);
    }
    for (const topic of ['signals:ZEC_BTC', 'signals:all']) {
      const { rows } = await c.query<{ id: string; entry: number }>(
        `SELECT payload->'record'->>'id' AS id, (payload->'record'->>'entry_price')::float8 AS entry FROM realtime.messages
         WHERE topic = $1 AND payload->>'schema' = $2 ORDER BY inserted_at`,
        [topic, schema],
      );
      expect(rows).toEqual([{ id: real, entry: 0.01 }]);
    }
  });
});
