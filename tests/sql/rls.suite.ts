/**
 * Row level security and grants, per role, the way Supabase runs a request: inside a transaction,
 * request.jwt.claims set to the JWT's claims (role, sub) and SET LOCAL ROLE to the JWT's role.
 * Every attempt runs in its own transaction and is rolled back, so attempts never change the data.
 * Run on PGlite (rls.test.ts) and server Postgres (rls.pg.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.ts';
import { migrate } from '../../src/store/migrate.ts';
import type { SqlClient } from '../../src/store/sql-client.ts';
import { uniqueSchema } from '../helpers/pg.ts';
import type { SqlTarget } from './functions.suite.ts';

type Role = 'anon' | 'authenticated' | 'service_role';
type Attempt = { ok: true; rows: Record<string, unknown>[]; rowCount: number } | { ok: false; sqlState: string };

class Rollback {
  constructor(readonly rows: Record<string, unknown>[], readonly rowCount: number) {}
}

/** Runs `sql` as a Supabase request of `role` (with `sub` as the user id), then rolls back. */
async function as(db: SqlClient, role: Role, sub: string | null, sql: string, params: unknown[] = [], setup?: string): Promise<Attempt> {
  try {
    await db.transaction(async (tx) => {
      if (setup) await tx.exec(setup);
      const claims = sub ? { role, sub, aud: role } : { role };
      await tx.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify(claims)]);
      await tx.exec(`SET LOCAL ROLE ${role}`);
      const res = await tx.query(sql, params);
      throw new Rollback(res.rows, res.rowCount);
    });
    throw new Error('unreachable: the attempt always rolls back');
  } catch (err) {
    if (err instanceof Rollback) return { ok: true, rows: err.rows, rowCount: err.rowCount };
    if (err instanceof StoreError) return { ok: false, sqlState: String(err.context.sqlState) };
    throw err;
  }
}

const TABLES = [
  'ml_schema_migrations',
  'ml_models',
  'ml_indicator_weights',
  'ml_training_samples',
  'ml_model_performance',
  'ml_predictions',
  'ml_generation_logs',
  'ml_model_drift',
  'ml_api_keys',
  'ml_candles',
  'ml_retrain_requests',
  'ml_model_artifacts',
  'ml_settings',
  'ml_api_key_usage',
  'ml_function_usage',
  'ml_backtests',
] as const;
const VIEWS = ['ml_active_model', 'ml_recent_training_runs', 'ml_open_signals'] as const;

/** Rows each role sees (count), or 'denied' (no privilege). Fixture below: 2 models, 1 active, 3 keys. */
const READS: Record<(typeof TABLES)[number] | (typeof VIEWS)[number], [anon: number | 'denied', authenticated: number | 'denied']> = {
  ml_schema_migrations: ['denied', 'denied'],
  ml_models: [1, 2],
  ml_indicator_weights: [17, 17],
  ml_training_samples: ['denied', 'denied'],
  ml_model_performance: [1, 1],
  ml_predictions: ['denied', 2],
  ml_generation_logs: ['denied', 'denied'],
  ml_model_drift: ['denied', 1],
  ml_api_keys: ['denied', 1], // only the user's own key
  ml_candles: ['denied', 'denied'],
  ml_retrain_requests: ['denied', 0], // only requests the user filed (none in the fixture)
  ml_model_artifacts: ['denied', 'denied'],
  ml_settings: ['denied', 'denied'],
  ml_api_key_usage: ['denied', 'denied'],
  ml_function_usage: ['denied', 'denied'],
  ml_backtests: [0, 0], // walk-forward results are public like model performance (none in the fixture)
  ml_active_model: [1, 1],
  ml_recent_training_runs: ['denied', 2],
  ml_open_signals: ['denied', 1],
};

export function rlsSuite(label: string, open: () => Promise<SqlTarget>): void {
  describe(`RLS and grants: ${label}`, () => {
    let t: SqlTarget;
    let schema: string;
    let s: string;
    const u1 = randomUUID();
    const u2 = randomUUID();
    const keys: Record<'k0' | 'k1' | 'k2', { id: string; api_key: string }> = {} as never;
    const firstColumn: Record<string, string> = {};

    beforeAll(async () => {
      t = await open();
      schema = uniqueSchema('sbt_rls');
      s = `"${schema}"`;
      await migrate(t.db, { schema });
      const db = t.db;
      await db.query('INSERT INTO auth.users (id, email) VALUES ($1, $3), ($2, $4)', [u1, u2, `${u1}@test`, `${u2}@test`]);
      for (const [k, owner] of [['k0', null], ['k1', u1], ['k2', u2]] as const) {
        const { rows } = await db.query<{ id: string; api_key: string }>(`SELECT id, api_key FROM ${s}.create_ml_api_key($1, 'stream', 100, NULL, $2)`, [
          k,
          owner,
        ]);
        keys[k] = rows[0]!;
      }
      await db.exec(`
        INSERT INTO ${s}.ml_models (model_version, model_status, is_active) VALUES ('v-on', 'active', true), ('v-off', 'trained', false);
        INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
          VALUES ('v-on', 'LTC/BTC', '5m', now(), '{}', 'BUY', 0.7, 0.0169), ('v-on', 'XLM/BTC', '5m', now(), '{}', 'HOLD', 0.6, 0.00005);
        INSERT INTO ${s}.ml_training_samples (symbol, signal_type, entry_price, status) VALUES ('LTC/BTC', 'BUY', 0.0169, 'TP_HIT');
        INSERT INTO ${s}.ml_model_performance (model_version, training_samples_count, validation_samples_count, accuracy) VALUES ('v-on', 900, 100, 0.61);
        INSERT INTO ${s}.ml_model_drift (model_version, drift_detected) VALUES ('v-on', false);
        INSERT INTO ${s}.ml_candles (symbol, timeframe, open_time, open, high, low, close, volume) VALUES ('LTC/BTC', '5m', now(), 1, 1, 1, 1, 1);
        INSERT INTO ${s}.ml_retrain_requests (reason) VALUES ('operator from the dashboard');
        INSERT INTO ${s}.ml_model_artifacts (model_version, name, bytes, sha256) VALUES ('v-on', 'model.json', '\\x7b7d', encode(sha256('\\x7b7d'::bytea), 'hex'));
      `);
      const { rows } = await db.query<{ table_name: string; column_name: string }>(
        `SELECT DISTINCT ON (table_name) table_name, column_name FROM information_schema.columns
         WHERE table_schema = $1 ORDER BY table_name, ordinal_position`,
        [schema],
      );
      for (const r of rows) firstColumn[r.table_name] = r.column_name;
    });

    afterAll(async () => {
      await t?.db.query('DELETE FROM auth.users WHERE id = ANY($1::uuid[])', [[u1, u2]]).catch(() => undefined);
      await t?.dropSchemas([schema]);
      await t?.close();
    });

    it.each([...TABLES, ...VIEWS])('reads of %s: anon, authenticated and service_role see what DESIGN.md allows', async (rel) => {
      const sql = `SELECT count(*)::int AS n FROM ${s}.${rel}`;
      const [anonWant, authWant] = READS[rel];
      const got = async (role: Role, sub: string | null) => {
        const r = await as(t.db, role, sub, sql);
        return r.ok ? r.rows[0]!.n : r.sqlState === '42501' ? 'denied' : `error ${r.sqlState}`;
      };
      expect(await got('anon', null)).toBe(anonWant);
      expect(await got('authenticated', u1)).toBe(authWant);
      const owner = (await t.db.query<{ n: number }>(sql)).rows[0]!.n;
      expect(await got('service_role', null)).toBe(owner);
    });

    it.each([...TABLES, ...VIEWS])('anon cannot insert, update or delete in %s', async (rel) => {
      const col = firstColumn[rel]!;
      for (const sql of [
        `INSERT INTO ${s}.${rel} DEFAULT VALUES`,
        `UPDATE ${s}.${rel} SET ${col} = ${col}`,
        `DELETE FROM ${s}.${rel}`,
      ]) {
        const r = await as(t.db, 'anon', null, sql);
        // Tables: permission denied. Views that are not updatable may be refused earlier, by the rewriter.
        if ((TABLES as readonly string[]).includes(rel)) expect(r, sql).toEqual({ ok: false, sqlState: '42501' });
        else expect(r.ok, sql).toBe(false);
      }
    });

    it('authenticated cannot write signals, samples or models (the plan let anon insert predictions)', async () => {
      const insertPrediction = `INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
        VALUES ('v-on', 'ETH/BTC', '5m', now(), '{}', 'BUY', 0.9, 0.1)`;
      for (const role of ['anon', 'authenticated'] as const) {
        expect(await as(t.db, role, role === 'anon' ? null : u1, insertPrediction)).toEqual({ ok: false, sqlState: '42501' });
      }
      for (const sql of [
        `UPDATE ${s}.ml_predictions SET confidence_score = 1`,
        `UPDATE ${s}.ml_models SET model_status = 'retired'`,
        `INSERT INTO ${s}.ml_training_samples (symbol, signal_type, entry_price) VALUES ('X', 'BUY', 1)`,
        `UPDATE ${s}.ml_indicator_weights SET current_weight = 2`,
      ]) {
        expect(await as(t.db, 'authenticated', u1, sql), sql).toEqual({ ok: false, sqlState: '42501' });
      }
      expect(await as(t.db, 'service_role', null, insertPrediction)).toMatchObject({ ok: true, rowCount: 1 });
      // The identity column's sequence needs no grant of its own.
      const file = `INSERT INTO ${s}.ml_retrain_requests (source, reason) VALUES ('api', 'service role') RETURNING seq`;
      expect(await as(t.db, 'service_role', null, file)).toMatchObject({ ok: true, rowCount: 1 });
      expect(await as(t.db, 'authenticated', u1, file)).toEqual({ ok: false, sqlState: '42501' });
    });

    it('authenticated reads its own retrain requests and API predictions, and every SIGNAL', async () => {
      const setup = `INSERT INTO ${s}.ml_retrain_requests (reason, requested_by) VALUES ('mine', '${u1}'), ('theirs', '${u2}');
        INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, prediction_type, technical_indicators, predicted_direction, confidence_score, entry_price, requested_by, api_key_id)
          VALUES ('v-on', 'LTC/BTC', '5m', now(), 'API', '{}', 'BUY', 0.5, 1, '${u1}', '${keys.k0.id}'),
                 ('v-on', 'LTC/BTC', '5m', now(), 'API', '{}', 'BUY', 0.5, 1, '${u2}', '${keys.k0.id}'),
                 -- u2's own key naming u1: planted, not shown to u1.
                 ('v-on', 'LTC/BTC', '5m', now(), 'API', '{}', 'SELL', 0.5, 1, '${u1}', '${keys.k2.id}');`;
      const requests = await as(t.db, 'authenticated', u1, `SELECT reason, status FROM ${s}.ml_retrain_requests`, [], setup);
      expect(requests).toMatchObject({ ok: true, rows: [{ reason: 'mine', status: 'PENDING' }] });
      const preds = await as(t.db, 'authenticated', u1, `SELECT prediction_type, requested_by FROM ${s}.ml_predictions ORDER BY prediction_type`, [], setup);
      // The fixture's 2 SIGNAL rows, and only u1's API row (the API row shares a SIGNAL's candle key: no conflict).
      expect(preds).toMatchObject({ ok: true, rowCount: 3, rows: [{ prediction_type: 'API', requested_by: u1 }, { prediction_type: 'SIGNAL' }, { prediction_type: 'SIGNAL' }] });
    });

    describe('API keys', () => {
      it('nobody but service_role reads key hashes', async () => {
        const hash = `SELECT key_hash FROM ${s}.ml_api_keys`;
        expect(await as(t.db, 'anon', null, hash)).toEqual({ ok: false, sqlState: '42501' });
        expect(await as(t.db, 'authenticated', u1, hash)).toEqual({ ok: false, sqlState: '42501' });
        expect(await as(t.db, 'authenticated', u1, `SELECT * FROM ${s}.ml_api_keys`)).toEqual({ ok: false, sqlState: '42501' });
        expect(await as(t.db, 'service_role', null, hash)).toMatchObject({ ok: true, rowCount: 3 });
      });

      it('authenticated reads and manages its own keys only', async () => {
        const mine = await as(t.db, 'authenticated', u1, `SELECT id, key_name, key_prefix, created_by FROM ${s}.ml_api_keys`);
        expect(mine).toMatchObject({ ok: true, rows: [{ id: keys.k1.id, key_name: 'k1', key_prefix: keys.k1.api_key.slice(0, 7), created_by: u1 }] });
        const theirs = await as(t.db, 'authenticated', u2, `SELECT id FROM ${s}.ml_api_keys`);
        expect(theirs).toMatchObject({ ok: true, rows: [{ id: keys.k2.id }] });

        const revoke = `UPDATE ${s}.ml_api_keys SET is_active = false, revoked_at = now() WHERE id = $1`;
        expect(await as(t.db, 'authenticated', u1, revoke, [keys.k1.id])).toMatchObject({ ok: true, rowCount: 1 });
        expect(await as(t.db, 'authenticated', u1, revoke, [keys.k2.id])).toMatchObject({ ok: true, rowCount: 0 });
        expect(await as(t.db, 'authenticated', u1, revoke, [keys.k0.id])).toMatchObject({ ok: true, rowCount: 0 });
        // Rename and revoke only: no delete (it would erase the record of a revoked key).
        const del = `DELETE FROM ${s}.ml_api_keys WHERE id = $1`;
        expect(await as(t.db, 'authenticated', u1, del, [keys.k1.id])).toEqual({ ok: false, sqlState: '42501' });
        const rename = `UPDATE ${s}.ml_api_keys SET key_name = 'renamed' WHERE id = $1`;
        expect(await as(t.db, 'authenticated', u1, rename, [keys.k1.id])).toMatchObject({ ok: true, rowCount: 1 });
        // No raising its own rate limit, no taking over someone else's key, no hand-made hashes.
        for (const sql of [
          `UPDATE ${s}.ml_api_keys SET rate_limit_per_hour = 1000000 WHERE id = '${keys.k1.id}'`,
          `UPDATE ${s}.ml_api_keys SET created_by = '${u1}' WHERE id = '${keys.k2.id}'`,
          `INSERT INTO ${s}.ml_api_keys (key_name, key_hash, key_prefix, created_by) VALUES ('x', '${'a'.repeat(64)}', 'sb_aaaa', '${u1}')`,
        ]) {
          expect(await as(t.db, 'authenticated', u1, sql), sql).toEqual({ ok: false, sqlState: '42501' });
        }
      });

      it('create_ml_api_key: authenticated gets a key of its own (never admin), anon gets nothing', async () => {
        const made = await as(t.db, 'authenticated', u1, `SELECT created_by, key_type FROM ${s}.create_ml_api_key('mine', 'stream', 10, NULL, $1)`, [u2]);
        expect(made).toMatchObject({ ok: true, rows: [{ created_by: u1, key_type: 'stream' }] });
        expect(await as(t.db, 'authenticated', u1, `SELECT * FROM ${s}.create_ml_api_key('root', 'admin')`)).toEqual({ ok: false, sqlState: '42501' });
        expect(await as(t.db, 'authenticated', null, `SELECT * FROM ${s}.create_ml_api_key('nobody')`)).toEqual({ ok: false, sqlState: '42501' });
        expect(await as(t.db, 'anon', null, `SELECT * FROM ${s}.create_ml_api_key('anon')`)).toEqual({ ok: false, sqlState: '42501' });
        const svc = await as(t.db, 'service_role', null, `SELECT created_by, key_type FROM ${s}.create_ml_api_key('svc', 'admin', 10, NULL, $1)`, [u2]);
        expect(svc).toMatchObject({ ok: true, rows: [{ created_by: u2, key_type: 'admin' }] });
      });

      it('a revoked key stays revoked: the owner cannot re-activate it, validate refuses revoked_at', async () => {
        const revokeFirst = `UPDATE ${s}.ml_api_keys SET is_active = false, revoked_at = now() WHERE id = '${keys.k1.id}'`;
        for (const sql of [
          `UPDATE ${s}.ml_api_keys SET is_active = true, revoked_at = null WHERE id = $1`,
          `UPDATE ${s}.ml_api_keys SET is_active = true WHERE id = $1`,
          `UPDATE ${s}.ml_api_keys SET revoked_at = null WHERE id = $1`,
        ]) {
          expect(await as(t.db, 'authenticated', u1, sql, [keys.k1.id], revokeFirst), sql).toEqual({ ok: false, sqlState: '42501' });
          // Not even the service role brings a revoked key back.
          expect(await as(t.db, 'service_role', null, sql, [keys.k1.id], revokeFirst), sql).toEqual({ ok: false, sqlState: '42501' });
        }
        // is_active = false alone revokes (revoked_at is set for it).
        const deactivate = `UPDATE ${s}.ml_api_keys SET is_active = false WHERE id = $1 RETURNING revoked_at IS NOT NULL AS revoked`;
        expect(await as(t.db, 'authenticated', u1, deactivate, [keys.k1.id])).toMatchObject({ ok: true, rows: [{ revoked: true }] });
        // A row whose revoked_at is set but is_active still true (written around the trigger) is refused.
        const inconsistent = `ALTER TABLE ${s}.ml_api_keys DISABLE TRIGGER ml_api_keys_revocation_is_final;
          UPDATE ${s}.ml_api_keys SET revoked_at = now(), is_active = true WHERE id = '${keys.k2.id}';`;
        const v = await as(t.db, 'service_role', null, `SELECT is_valid FROM ${s}.validate_ml_api_key($1)`, [keys.k2.api_key], inconsistent);
        expect(v).toMatchObject({ ok: true, rows: [{ is_valid: false }] });
      });

      it('validate_ml_api_key: anon and authenticated may not execute it; the service role may', async () => {
        for (const role of ['anon', 'authenticated'] as const) {
          const r = await as(t.db, role, role === 'anon' ? null : u1, `SELECT is_valid FROM ${s}.validate_ml_api_key($1)`, [keys.k1.api_key]);
          expect(r, role).toEqual({ ok: false, sqlState: '42501' });
        }
        const v = await as(t.db, 'service_role', null, `SELECT is_valid, key_id FROM ${s}.validate_ml_api_key($1)`, [keys.k1.api_key]);
        expect(v).toMatchObject({ ok: true, rows: [{ is_valid: true, key_id: keys.k1.id }] });
      });

      it('self-service keys have a ceiling (ml_settings self_service_max_rate_limit, 10000 by default)', async () => {
        const create = (limit: number) => `SELECT rate_limit_per_hour FROM ${s}.create_ml_api_key('big', 'prediction', ${limit})`;
        expect(await as(t.db, 'authenticated', u1, create(2_147_483_647))).toEqual({ ok: false, sqlState: '22023' });
        expect(await as(t.db, 'authenticated', u1, create(10_000))).toMatchObject({ ok: true, rows: [{ rate_limit_per_hour: 10_000 }] });
        const lower = `UPDATE ${s}.ml_settings SET value = '50' WHERE name = 'self_service_max_rate_limit'`;
        expect(await as(t.db, 'authenticated', u1, create(51), [], lower)).toEqual({ ok: false, sqlState: '22023' });
        expect(await as(t.db, 'authenticated', u1, create(50), [], lower)).toMatchObject({ ok: true, rows: [{ rate_limit_per_hour: 50 }] });
        // The service role (and `signalbase keys create`, which runs as the owner) sets any limit.
        expect(await as(t.db, 'service_role', null, create(2_147_483_647))).toMatchObject({ ok: true, rows: [{ rate_limit_per_hour: 2_147_483_647 }] });
      });
    });

    it('functions: each role may call what its tables allow', async () => {
      const call = async (role: Role, fn: string) => {
        const r = await as(t.db, role, role === 'authenticated' ? u1 : null, `SELECT * FROM ${s}.${fn}`);
        return r.ok ? 'ok' : r.sqlState;
      };
      const table: [string, string, string, string][] = [
        // function                          anon     authenticated service_role
        ['get_latest_indicator_weights()', 'ok', 'ok', 'ok'],
        ['get_model_performance_metrics()', 'ok', 'ok', 'ok'],
        ["validate_ml_api_key('x')", '42501', '42501', 'ok'],
        ["detect_model_drift('v-on')", '42501', 'ok', 'ok'],
        ['get_ml_dashboard_data()', '42501', 'ok', 'ok'],
        ['get_performance_trends()', '42501', 'ok', 'ok'],
        ['calculate_trading_statistics()', '42501', '42501', 'ok'],
      ];
      for (const [fn, anon, auth, svc] of table) {
        expect([fn, await call('anon', fn), await call('authenticated', fn), await call('service_role', fn)]).toEqual([fn, anon, auth, svc]);
      }
    });

    describe('with Supabase\'s broad default grants, the policies alone still hold', () => {
      const broad = () => `GRANT ALL ON ALL TABLES IN SCHEMA ${s} TO anon, authenticated`;

      it('anon: no insert, no update, no delete, and only the rows it may read', async () => {
        const insert = `INSERT INTO ${s}.ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
          VALUES ('v-on', 'ETH/BTC', '5m', now(), '{}', 'BUY', 0.9, 0.1)`;
        expect(await as(t.db, 'anon', null, insert, [], broad())).toEqual({ ok: false, sqlState: '42501' });
        for (const rel of TABLES) {
          const col = firstColumn[rel]!;
          expect(await as(t.db, 'anon', null, `UPDATE ${s}.${rel} SET ${col} = ${col}`, [], broad()), rel).toMatchObject({ ok: true, rowCount: 0 });
          expect(await as(t.db, 'anon', null, `DELETE FROM ${s}.${rel}`, [], broad()), rel).toMatchObject({ ok: true, rowCount: 0 });
        }
        const count = async (rel: string) => {
          const r = await as(t.db, 'anon', null, `SELECT count(*)::int AS n FROM ${s}.${rel}`, [], broad());
          return r.ok ? r.rows[0]!.n : r.sqlState;
        };
        expect(await count('ml_predictions')).toBe(0);
        expect(await count('ml_training_samples')).toBe(0);
        expect(await count('ml_api_keys')).toBe(0);
        expect(await count('ml_models')).toBe(1);
      });

      it('authenticated: no training samples, only its own keys, no signal inserts', async () => {
        const count = async (rel: string) => {
          const r = await as(t.db, 'authenticated', u1, `SELECT count(*)::int AS n FROM ${s}.${rel}`, [], broad());
          return r.ok ? r.rows[0]!.n : r.sqlState;
        };
        expect(await count('ml_training_samples')).toBe(0);
        expect(await count('ml_api_keys')).toBe(1);
        expect(await count('ml_candles')).toBe(0);
        const takeOver = `UPDATE ${s}.ml_api_keys SET created_by = '${u1}' WHERE id = '${keys.k2.id}'`;
        expect(await as(t.db, 'authenticated', u1, takeOver, [], broad())).toMatchObject({ ok: true, rowCount: 0 });
        const giveAway = `UPDATE ${s}.ml_api_keys SET created_by = '${u2}' WHERE id = '${keys.k1.id}'`;
        expect(await as(t.db, 'authenticated', u1, giveAway, [], broad())).toEqual({ ok: false, sqlState: '42501' });
        // The table's broad UPDATE grant does not let an owner raise its own limit or re-activate.
        const raise = `UPDATE ${s}.ml_api_keys SET rate_limit_per_hour = 2147483647 WHERE id = '${keys.k1.id}'`;
        expect(await as(t.db, 'authenticated', u1, raise, [], broad())).toEqual({ ok: false, sqlState: '42501' });
        const del = `DELETE FROM ${s}.ml_api_keys WHERE id = '${keys.k1.id}'`;
        expect(await as(t.db, 'authenticated', u1, del, [], broad())).toMatchObject({ ok: true, rowCount: 0 });
      });
    });
  });
}
