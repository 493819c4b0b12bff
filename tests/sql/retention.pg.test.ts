/**
 * Size on real Postgres (DESIGN.md "Store schema", PREDICTION_RETENTION_DAYS):
 * - the partitioning migration on an existing ml_predictions with rows keeps every row, column,
 *   policy, grant, view and function working;
 * - sb_retention_step drops whole months and deletes the rest in bounded batches: older rows
 *   gone, newer untouched, and an insert made while a batch's transaction is open goes through;
 * - get_ml_dashboard_data() reads indexes, not whole partitions, at 1 million rows (EXPLAIN).
 * Each scenario has a schema of its own in the test database; rows come from generate_series.
 */
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR, migrate } from '../../src/store/migrate.ts';
import { PgSqlClient } from '../../src/store/pg-client.ts';
import { serverPostgres, silentLogger, uniqueSchema } from '../helpers/pg.ts';

const server = await serverPostgres();
const PARTITIONING = '20261204000900_prediction_partitions.sql';

/** n predictions, one every `stepMinutes` back from `endSql`, for 5 symbols; every third HOLD, half resolved. */
function insertRows(n: number, endSql: string, stepMinutes: number): string {
  return `INSERT INTO ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators,
      predicted_direction, confidence_score, entry_price, prediction_timestamp, actual_outcome, actual_profit_loss, outcome_timestamp)
    SELECT 'v1', 'S' || (i % 5) || '/BTC', '5m', t, '{"rsi": 50}', CASE WHEN i % 3 = 0 THEN 'HOLD' ELSE 'BUY' END, 0.5, 1, t,
      CASE WHEN i % 2 = 0 AND i % 3 <> 0 THEN 'TP_HIT' END, CASE WHEN i % 2 = 0 AND i % 3 <> 0 THEN 1.0 END,
      CASE WHEN i % 2 = 0 AND i % 3 <> 0 THEN t + interval '1 hour' END
    FROM generate_series(1, ${n}) i, LATERAL (SELECT (${endSql}) - i * interval '${stepMinutes} minutes' AS t) x`;
}

describe.runIf(server.available)('ml_predictions partitions, retention and indexes (server Postgres)', () => {
  const db = new PgSqlClient({ url: server.url, log: silentLogger(), poolSize: 3 });
  const schemas: string[] = [];
  const fresh = (prefix: string) => {
    const s = uniqueSchema(prefix);
    schemas.push(s);
    return s;
  };
  /** A client of its own with search_path on `schema` (for locks held across statements). */
  async function connect(schema: string): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: server.url });
    await c.connect();
    await c.query(`SET search_path TO "${schema}", public`);
    return c;
  }
  async function inSchema<T>(schema: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
    const c = await connect(schema);
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }

  /** Applies the migrations whose file names pass `keep`, from a copy of sql/ holding only those. */
  async function migrateUpTo(schema: string, keep: (file: string) => boolean): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'sbt-sql-'));
    try {
      for (const f of readdirSync(MIGRATIONS_DIR).filter((f) => f.endsWith('.sql') && keep(f))) copyFileSync(join(MIGRATIONS_DIR, f), join(dir, f));
      await migrate(db, { schema, dir });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  afterAll(async () => {
    for (const s of schemas) await db.exec(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
    await db.close();
  });

  describe('the partitioning migration on a table with rows', () => {
    const schema = fresh('sbt_part');
    let before: Record<string, unknown>;
    const snapshot = (c: pg.Client) =>
      c
        .query(
          `SELECT
            (SELECT count(*)::int FROM ml_predictions) AS rows,
            (SELECT md5(string_agg(md5(p::text), '' ORDER BY p.id)) FROM ml_predictions p) AS digest,
            (SELECT count(*)::int FROM ml_open_signals) AS open_signals,
            (SELECT array_agg(attname::text ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'ml_predictions'::regclass AND attnum > 0 AND NOT attisdropped) AS columns,
            (SELECT array_agg(policyname || ':' || cmd || ':' || array_to_string(roles, ',') ORDER BY policyname) FROM pg_policies WHERE schemaname = current_schema() AND tablename = 'ml_predictions') AS policies,
            (SELECT relrowsecurity FROM pg_class WHERE oid = 'ml_predictions'::regclass) AS rls,
            (SELECT array_agg(a::text ORDER BY a::text) FROM pg_class c, unnest(c.relacl) a WHERE c.oid = 'ml_predictions'::regclass) AS acl,
            (SELECT array_agg(a::text ORDER BY a::text) FROM pg_class c, unnest(c.relacl) a WHERE c.oid = 'ml_open_signals'::regclass) AS view_acl,
            (SELECT pg_get_viewdef('ml_open_signals'::regclass)) AS view_def,
            (SELECT array_agg(a::text ORDER BY a::text) FROM pg_proc p, unnest(p.proacl) a WHERE p.oid = 'sb_read_predictions(jsonb)'::regprocedure) AS fn_acl,
            (SELECT array_agg(conname::text ORDER BY conname) FROM pg_constraint WHERE conrelid = 'ml_predictions'::regclass AND contype IN ('c', 'u')) AS constraints,
            (SELECT array_agg(relname::text ORDER BY relname) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = 'ml_predictions'::regclass AND relname <> 'ml_predictions_pkey') AS indexes`,
        )
        .then((r) => r.rows[0] as Record<string, unknown>);

    beforeAll(async () => {
      // The schema as it was before: every migration older than the partitioning one; then that one.
      await migrateUpTo(schema, (f) => f < PARTITIONING);
      before = await inSchema(schema, async (c) => {
        // Ten weeks of rows, to now.
        await c.query(insertRows(20_000, 'now()', 5));
        return snapshot(c);
      });
      await migrateUpTo(schema, (f) => f <= PARTITIONING);
    }, 120_000);

    it('keeps every row, column, constraint, index, policy and grant, and the view and functions on its row type', async () => {
      await inSchema(schema, async (c) => {
        const kind = await c.query(`SELECT relkind FROM pg_class WHERE oid = 'ml_predictions'::regclass`);
        expect(kind.rows[0].relkind).toBe('p');
        const after = await snapshot(c);
        expect(after.rows).toBe(20_000);
        expect(after).toEqual(before);
        const pk = await c.query(`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = 'ml_predictions'::regclass AND contype = 'p'`);
        expect(pk.rows[0].def).toBe('PRIMARY KEY (id, candle_time)');
        // sb_read_predictions returns the new table's row type.
        const read = await c.query(`SELECT count(*)::int AS n FROM sb_read_predictions('{"limit": 7}')`);
        expect(read.rows[0].n).toBe(7);
        const parts = await c.query(`SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'ml_predictions'::regclass`);
        expect(parts.rows[0].n).toBeGreaterThanOrEqual(3);
        // Nothing of the old table is left behind.
        const left = await c.query(`SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = current_schema()::regnamespace AND relname LIKE '%unpartitioned%'`);
        expect(left.rows[0].n).toBe(0);
      });
    });

    it('still refuses a second signal for the same candle and model, and runs again as a no-op', async () => {
      await inSchema(schema, async (c) => {
        const dup = `INSERT INTO ml_predictions (model_version, symbol, timeframe, candle_time, technical_indicators, predicted_direction, confidence_score, entry_price)
          SELECT model_version, symbol, timeframe, candle_time, '{}', 'BUY', 0.5, 1 FROM ml_predictions LIMIT 1`;
        await expect(c.query(dup)).rejects.toThrow(/duplicate key value violates unique constraint/);
      });
      await migrateUpTo(schema, (f) => f <= PARTITIONING);
      // Run once more (as if recorded nowhere): the table is partitioned already, nothing changes.
      const file = readFileSync(join(MIGRATIONS_DIR, PARTITIONING), 'utf8');
      await inSchema(schema, async (c) => {
        await c.query(file);
        expect((await c.query('SELECT count(*)::int AS n FROM ml_predictions')).rows[0].n).toBe(20_000);
      });
      // And everything after it applies on top.
      await migrate(db, { schema });
    });
  });

  describe('sb_retention_step', () => {
    const schema = fresh('sbt_ret');
    const DAY_MS = 86_400_000;
    let cutoff: number;

    beforeAll(async () => {
      await migrate(db, { schema });
      await inSchema(schema, async (c) => {
        // 120 days of rows, one an hour per symbol stream: 2,880 rows.
        await c.query(insertRows(2_880, 'now()', 60));
        await c.query(`INSERT INTO ml_generation_logs (batch_id, generation_time, generation_strategy, symbols_count, total_signals_generated)
          SELECT 'b' || i, now() - i * interval '1 day', 'tick', 5, 5 FROM generate_series(0, 59) i`);
      });
      cutoff = Date.now() - 45 * DAY_MS;
    });

    it('drops whole months first, then deletes at most `batch` rows a step until nothing older is left', async () => {
      await inSchema(schema, async (c) => {
        const step = async (batch: number) => (await c.query(`SELECT sb_retention_step($1) AS r`, [{ before_ms: cutoff, keep_ms: 30 * DAY_MS, batch, newest_ms: Date.now() }])).rows[0].r;
        const newerBefore = (await c.query(`SELECT md5(string_agg(md5(p::text), '' ORDER BY p.id)) AS d, count(*)::int AS n FROM ml_predictions p WHERE candle_time >= to_timestamp($1 / 1000.0)`, [cutoff])).rows[0];
        const first = await step(100);
        expect(first.partitions_dropped).toBeGreaterThanOrEqual(1);
        expect(first.more).toBe(true);
        let steps = 0;
        let deleted = 0;
        for (;;) {
          const r = await step(100);
          expect(r.predictions).toBeLessThanOrEqual(100);
          deleted += r.predictions;
          steps++;
          if (!r.more) break;
          expect(steps).toBeLessThan(100);
        }
        expect(deleted).toBeGreaterThan(100); // took several bounded steps
        const older = await c.query(`SELECT count(*)::int AS n FROM ml_predictions WHERE candle_time < to_timestamp($1 / 1000.0)`, [cutoff]);
        expect(older.rows[0].n).toBe(0);
        const newerAfter = (await c.query(`SELECT md5(string_agg(md5(p::text), '' ORDER BY p.id)) AS d, count(*)::int AS n FROM ml_predictions p WHERE candle_time >= to_timestamp($1 / 1000.0)`, [cutoff])).rows[0];
        expect(newerAfter).toEqual(newerBefore);
        expect(newerAfter.n).toBeGreaterThan(1000);
        const logs = await c.query(`SELECT count(*)::int AS n, min(generation_time) > now() - interval '30 days 1 minute' AS recent FROM ml_generation_logs`);
        expect(logs.rows[0]).toEqual({ n: 30, recent: true });
      });
    });

    it('keeps the dropped days in the daily rollup, so get_performance_trends still shows them', async () => {
      await inSchema(schema, async (c) => {
        const trends = await c.query(`SELECT count(*)::int AS days, sum(predictions_count)::int AS n FROM get_performance_trends(120)`);
        // 120 days of 24 signals (one per hour) over the five symbols: every day is there, from the rollup or the table.
        expect(trends.rows[0].days).toBeGreaterThanOrEqual(120);
        expect(trends.rows[0].n).toBe(2_880 - (await c.query(`SELECT count(*)::int AS n FROM ml_predictions WHERE prediction_timestamp < now() - interval '121 days'`)).rows[0].n);
        const rolled = await c.query(`SELECT count(*)::int AS n FROM ml_prediction_daily WHERE day < (now() - interval '45 days')::date`);
        expect(rolled.rows[0].n).toBeGreaterThan(0);
      });
    });

    it('holds no lock an insert waits on while a batch is in flight', async () => {
      await inSchema(schema, async (c) => c.query(insertRows(500, `now() - interval '50 days'`, 1)));
      const a = await connect(schema);
      const b = await connect(schema);
      try {
        await a.query('BEGIN');
        const r = (await a.query(`SELECT sb_retention_step($1) AS r`, [{ before_ms: cutoff, batch: 200 }])).rows[0].r;
        expect(r.predictions).toBe(200);
        // The batch's transaction is still open; a new signal goes in at once.
        await b.query(`SET lock_timeout = '2s'`);
        await b.query(insertRows(1, 'now()', 0).replace("'v1'", "'v2'"));
        await a.query('COMMIT');
      } finally {
        await a.end();
        await b.end();
      }
    });
  });

  describe('get_ml_dashboard_data at 1 million rows', () => {
    const schema = fresh('sbt_dash');

    beforeAll(async () => {
      await migrate(db, { schema });
      await inSchema(schema, async (c) => {
        // One row a second for ~11.6 days up to now: the current and previous month's partitions.
        await c.query(insertRows(1_000_000, 'now()', 0.0166667));
        await c.query('ANALYZE ml_predictions');
      });
    }, 300_000);

    it('reads the prediction_timestamp, outcome and open-trade indexes, never a whole big partition', async () => {
      await inSchema(schema, async (c) => {
        const body = (await c.query(`SELECT prosrc FROM pg_proc WHERE oid = 'get_ml_dashboard_data()'::regprocedure`)).rows[0].prosrc as string;
        const plan = (await c.query(`EXPLAIN (FORMAT JSON) ${body.replace(/;\s*$/, '')}`)).rows[0]['QUERY PLAN'][0].Plan;
        const sizes = new Map<string, number>(
          (await c.query(`SELECT c.relname, c.reltuples FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r'`)).rows.map((r) => [r.relname as string, Number(r.reltuples)]),
        );
        const scans: { node: string; rel: string; index?: string }[] = [];
        const walk = (n: Record<string, unknown>) => {
          if (typeof n['Relation Name'] === 'string' && (n['Relation Name'] as string).startsWith('ml_predictions')) {
            scans.push({ node: n['Node Type'] as string, rel: n['Relation Name'] as string, ...(n['Index Name'] ? { index: n['Index Name'] as string } : {}) });
          }
          for (const child of (n.Plans as Record<string, unknown>[] | undefined) ?? []) walk(child);
        };
        walk(plan);
        const big = scans.filter((s) => (sizes.get(s.rel) ?? 0) > 10_000);
        expect(big.length, JSON.stringify(scans)).toBeGreaterThan(0);
        expect(big.filter((s) => s.node === 'Seq Scan')).toEqual([]);
        expect(big.some((s) => /prediction_timestamp_confidence_sco/.test(s.index ?? '')), JSON.stringify(scans)).toBe(true);
      });
    });
  });
});
