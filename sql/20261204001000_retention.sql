-- Size (DESIGN.md "Store schema", PREDICTION_RETENTION_DAYS): indexes for the dashboard and trend
-- functions, a daily rollup per model and symbol that outlives the raw rows, and the leader's
-- bounded retention step.

-- get_ml_dashboard_data() (today's predictions) and get_performance_trends() (the last N days)
-- select by prediction_timestamp; no index led with it, so both read the whole table. INCLUDE
-- makes today's count and mean confidence an index-only scan.
CREATE INDEX IF NOT EXISTS idx_ml_predictions_prediction_time ON ml_predictions (prediction_timestamp) INCLUDE (confidence_score);
-- The dashboard's open-signal count (ml_open_signals' condition).
CREATE INDEX IF NOT EXISTS idx_ml_predictions_open_trades ON ml_predictions (candle_time)
  WHERE actual_outcome IS NULL AND predicted_direction <> 'HOLD';
-- What the retention step deletes by.
CREATE INDEX IF NOT EXISTS idx_ml_training_samples_candle_time ON ml_training_samples (candle_time);
CREATE INDEX IF NOT EXISTS idx_ml_model_drift_date ON ml_model_drift (drift_date);

-- One row per UTC day of prediction_timestamp, model and symbol: what get_performance_trends and
-- the scorecard read for days the rollup covers (day < ml_rollup_state.through), so the trends
-- survive the retention of the rows they summarise. trades = resolved as TP_HIT, SL_HIT or
-- EXPIRED; wins = those with a positive profit/loss; profit_loss sums theirs (percent).
CREATE TABLE IF NOT EXISTS ml_prediction_daily (
  day date NOT NULL,
  model_version text COLLATE "C" NOT NULL,
  symbol text COLLATE "C" NOT NULL,
  predictions integer NOT NULL,
  buy_signals integer NOT NULL,
  sell_signals integer NOT NULL,
  hold_signals integer NOT NULL,
  avg_confidence double precision,
  trades integer NOT NULL,
  wins integer NOT NULL,
  tp_hits integer NOT NULL,
  sl_hits integer NOT NULL,
  expired integer NOT NULL,
  profit_loss double precision NOT NULL,
  open_signals integer NOT NULL,
  refreshed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, model_version, symbol)
);

-- 'prediction_daily': through = the rollup holds every day before it; pruned_before = the
-- retention deleted predictions with candle_time before it (days before that are never recomputed).
CREATE TABLE IF NOT EXISTS ml_rollup_state (
  name text PRIMARY KEY,
  through timestamptz,
  pruned_before timestamptz
);

ALTER TABLE ml_prediction_daily ENABLE ROW LEVEL SECURITY;
ALTER TABLE ml_rollup_state ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "service_role full access" ON ml_prediction_daily;
CREATE POLICY "service_role full access" ON ml_prediction_daily FOR ALL TO service_role USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS "service_role full access" ON ml_rollup_state;
CREATE POLICY "service_role full access" ON ml_rollup_state FOR ALL TO service_role USING (true) WITH CHECK (true);
-- Performance figures: the same readers as ml_model_performance (DESIGN.md "RLS").
DROP POLICY IF EXISTS "everyone reads daily performance" ON ml_prediction_daily;
CREATE POLICY "everyone reads daily performance" ON ml_prediction_daily FOR SELECT TO anon, authenticated USING (true);
-- get_performance_trends (security invoker) reads how far the rollup goes.
DROP POLICY IF EXISTS "everyone reads the rollup state" ON ml_rollup_state;
CREATE POLICY "everyone reads the rollup state" ON ml_rollup_state FOR SELECT TO anon, authenticated USING (true);
GRANT ALL ON TABLE ml_prediction_daily, ml_rollup_state TO service_role;
GRANT SELECT ON TABLE ml_prediction_daily, ml_rollup_state TO anon, authenticated;

-- Recomputes the rollup for the UTC days from p_redo_days before today up to today (outcomes of a
-- day's signals resolve later), never a day whose rows the retention already deleted; then marks
-- it complete through the start of today. Returns the rows written.
CREATE OR REPLACE FUNCTION sb_refresh_prediction_daily(p_redo_days integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_today timestamptz := date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  v_from timestamptz;
  v_pruned timestamptz;
  v_through timestamptz;
  v_n integer;
BEGIN
  SELECT s.through, s.pruned_before INTO v_through, v_pruned FROM ml_rollup_state s WHERE s.name = 'prediction_daily' FOR UPDATE;
  v_from := v_today - make_interval(days => greatest(p_redo_days, 0));
  IF v_through IS NULL THEN
    -- First run: every day that still has rows.
    SELECT least(v_from, coalesce(date_trunc('day', min(p.prediction_timestamp) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', v_from))
      INTO v_from FROM ml_predictions p;
  ELSE
    v_from := least(v_from, v_through);
  END IF;
  IF v_pruned IS NOT NULL THEN
    -- The first whole day after the pruning cutoff.
    v_from := greatest(v_from, date_trunc('day', (v_pruned AT TIME ZONE 'UTC') + interval '1 day' - interval '1 microsecond') AT TIME ZONE 'UTC');
  END IF;
  DELETE FROM ml_prediction_daily d WHERE d.day >= (v_from AT TIME ZONE 'UTC')::date AND d.day < (v_today AT TIME ZONE 'UTC')::date;
  INSERT INTO ml_prediction_daily (day, model_version, symbol, predictions, buy_signals, sell_signals, hold_signals,
    avg_confidence, trades, wins, tp_hits, sl_hits, expired, profit_loss, open_signals)
  SELECT (p.prediction_timestamp AT TIME ZONE 'UTC')::date, p.model_version, p.symbol, count(*),
    count(*) FILTER (WHERE p.predicted_direction = 'BUY'), count(*) FILTER (WHERE p.predicted_direction = 'SELL'),
    count(*) FILTER (WHERE p.predicted_direction = 'HOLD'), avg(p.confidence_score),
    count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')),
    count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.actual_profit_loss > 0),
    count(*) FILTER (WHERE p.actual_outcome = 'TP_HIT'), count(*) FILTER (WHERE p.actual_outcome = 'SL_HIT'),
    count(*) FILTER (WHERE p.actual_outcome = 'EXPIRED'),
    coalesce(sum(p.actual_profit_loss) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0),
    count(*) FILTER (WHERE p.actual_outcome IS NULL AND p.predicted_direction <> 'HOLD')
  FROM ml_predictions p
  WHERE p.prediction_timestamp >= v_from AND p.prediction_timestamp < v_today
  GROUP BY 1, 2, 3;
  GET DIAGNOSTICS v_n = ROW_COUNT;
  INSERT INTO ml_rollup_state (name, through) VALUES ('prediction_daily', v_today)
  ON CONFLICT (name) DO UPDATE SET through = greatest(ml_rollup_state.through, EXCLUDED.through);
  RETURN v_n;
END
$$;

-- Months of ml_predictions: makes the partitions for the month of p_newest and the next one, and
-- moves rows that landed in ml_predictions_default (a month nobody made yet, e.g. a replay of
-- 2018) into a partition of their own. A table that is not partitioned (a server that could not
-- run the partitioning migration) is left alone. Returns the partitions made.
CREATE OR REPLACE FUNCTION sb_maintain_prediction_partitions(p_newest timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_made integer := 0;
  v_month timestamptz;
  v_name text;
  v_default regclass := to_regclass('ml_predictions_default');
BEGIN
  IF (SELECT c.relkind FROM pg_class c WHERE c.oid = to_regclass('ml_predictions')) IS DISTINCT FROM 'p' THEN
    RETURN 0;
  END IF;
  FOR v_month IN
    SELECT date_trunc('month', coalesce(p_newest, now()) AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    UNION SELECT (date_trunc('month', coalesce(p_newest, now()) AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
    UNION SELECT DISTINCT date_trunc('month', d.candle_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM ml_predictions_default d
  LOOP
    v_name := 'ml_predictions_p' || to_char(v_month AT TIME ZONE 'UTC', 'YYYYMM');
    CONTINUE WHEN to_regclass(v_name) IS NOT NULL;
    IF v_default IS NOT NULL AND EXISTS (SELECT 1 FROM ml_predictions_default d WHERE d.candle_time >= v_month AND d.candle_time < (v_month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC') THEN
      -- A partition cannot be created over rows the default partition holds: build it beside,
      -- move the month's rows into it, then attach it.
      EXECUTE format('CREATE TABLE %I (LIKE ml_predictions INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED INCLUDING IDENTITY INCLUDING STORAGE)', v_name);
      EXECUTE format('WITH moved AS (DELETE FROM ml_predictions_default WHERE candle_time >= %L AND candle_time < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
        v_month, (v_month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC', v_name);
      EXECUTE format('ALTER TABLE ml_predictions ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)', v_name, v_month, (v_month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
    ELSE
      EXECUTE format('CREATE TABLE %I PARTITION OF ml_predictions FOR VALUES FROM (%L) TO (%L)', v_name, v_month, (v_month AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
    END IF;
    v_made := v_made + 1;
  END LOOP;
  RETURN v_made;
END
$$;

-- One bounded step of the retention (the leader calls it until `more` is false):
--   p_query: {before_ms: predictions and training samples with candle_time before it (data time,
--             as CANDLE_RETENTION_DAYS), keep_ms: drift records and generation logs older than
--             now() minus it, batch: the most rows deleted per table in this step (default 5000),
--             newest_ms: the newest candle (the partitions to have ready)}
-- Partitions wholly before before_ms are dropped first, in a step of their own (no row-by-row
-- delete; the drop's table lock ends with that step); the rest goes in batches of at most `batch`
-- rows per table, so a concurrent insert never waits long. The rollup is refreshed (once a UTC
-- day) before predictions go, so the trends keep their days. Without before_ms / keep_ms the
-- step only makes partitions and refreshes the rollup.
-- Returns {partitions_made, partitions_dropped, predictions, samples, drift, logs, more}.
CREATE OR REPLACE FUNCTION sb_retention_step(p_query jsonb)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_batch integer := least(greatest(coalesce((p_query->>'batch')::integer, 5000), 1), 100000);
  v_before timestamptz := CASE WHEN p_query ? 'before_ms' AND jsonb_typeof(p_query->'before_ms') = 'number'
                               THEN timestamptz 'epoch' + (p_query->>'before_ms')::float8 * interval '1 millisecond' END;
  v_keep interval := CASE WHEN p_query ? 'keep_ms' AND jsonb_typeof(p_query->'keep_ms') = 'number'
                          THEN (p_query->>'keep_ms')::float8 * interval '1 millisecond' END;
  v_newest timestamptz := CASE WHEN jsonb_typeof(p_query->'newest_ms') = 'number'
                               THEN timestamptz 'epoch' + (p_query->>'newest_ms')::float8 * interval '1 millisecond' END;
  v_made integer;
  v_dropped integer := 0;
  v_pred integer := 0;
  v_samples integer := 0;
  v_drift integer := 0;
  v_logs integer := 0;
  r record;
  v_upper timestamptz;
BEGIN
  v_made := sb_maintain_prediction_partitions(v_newest);
  -- Once a UTC day (the redo window catches outcomes that resolved since).
  IF NOT EXISTS (SELECT 1 FROM ml_rollup_state s WHERE s.name = 'prediction_daily'
                 AND s.through >= date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') THEN
    PERFORM sb_refresh_prediction_daily();
  END IF;
  IF v_before IS NOT NULL THEN
    FOR r IN
      SELECT c.oid::regclass AS part, pg_get_expr(c.relpartbound, c.oid) AS bound
      FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = to_regclass('ml_predictions')
    LOOP
      CONTINUE WHEN r.bound = 'DEFAULT';
      v_upper := substring(r.bound FROM 'TO \(''([^'']+)''\)')::timestamptz;
      IF v_upper IS NOT NULL AND v_upper <= v_before THEN
        EXECUTE format('DROP TABLE %s', r.part);
        v_dropped := v_dropped + 1;
      END IF;
    END LOOP;
    IF v_dropped > 0 THEN
      -- Dropping a partition locks the whole table: commit that at once, delete rows next step.
      INSERT INTO ml_rollup_state (name, pruned_before) VALUES ('prediction_daily', v_before)
      ON CONFLICT (name) DO UPDATE SET pruned_before = greatest(ml_rollup_state.pruned_before, EXCLUDED.pruned_before);
      RETURN jsonb_build_object('partitions_made', v_made, 'partitions_dropped', v_dropped, 'predictions', 0,
        'samples', 0, 'drift', 0, 'logs', 0, 'more', true);
    END IF;
    DELETE FROM ml_predictions p WHERE (p.id, p.candle_time) IN (
      SELECT q.id, q.candle_time FROM ml_predictions q WHERE q.candle_time < v_before LIMIT v_batch);
    GET DIAGNOSTICS v_pred = ROW_COUNT;
    INSERT INTO ml_rollup_state (name, pruned_before) VALUES ('prediction_daily', v_before)
    ON CONFLICT (name) DO UPDATE SET pruned_before = greatest(ml_rollup_state.pruned_before, EXCLUDED.pruned_before);
    DELETE FROM ml_training_samples s WHERE s.id IN (
      SELECT t.id FROM ml_training_samples t WHERE t.candle_time < v_before LIMIT v_batch);
    GET DIAGNOSTICS v_samples = ROW_COUNT;
  END IF;
  IF v_keep IS NOT NULL THEN
    DELETE FROM ml_model_drift d WHERE d.id IN (
      SELECT x.id FROM ml_model_drift x WHERE x.drift_date < now() - v_keep LIMIT v_batch);
    GET DIAGNOSTICS v_drift = ROW_COUNT;
    DELETE FROM ml_generation_logs g WHERE g.id IN (
      SELECT x.id FROM ml_generation_logs x WHERE x.generation_time < now() - v_keep LIMIT v_batch);
    GET DIAGNOSTICS v_logs = ROW_COUNT;
  END IF;
  RETURN jsonb_build_object('partitions_made', v_made, 'partitions_dropped', v_dropped, 'predictions', v_pred,
    'samples', v_samples, 'drift', v_drift, 'logs', v_logs,
    'more', v_pred >= v_batch OR v_samples >= v_batch OR v_drift >= v_batch OR v_logs >= v_batch);
END
$$;

REVOKE ALL ON FUNCTION sb_refresh_prediction_daily(integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION sb_maintain_prediction_partitions(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION sb_retention_step(jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_refresh_prediction_daily(integer), sb_maintain_prediction_partitions(timestamptz), sb_retention_step(jsonb) TO service_role;

-- The trends: days the rollup covers from ml_prediction_daily, the rest (today, and any day not
-- rolled up yet) from ml_predictions through idx_ml_predictions_prediction_time. Same columns and
-- figures as before (20261122000300_functions.sql); with no rollup yet it reads only the table.
CREATE OR REPLACE FUNCTION get_performance_trends(days integer DEFAULT 30)
RETURNS TABLE (
  date date,
  predictions_count integer,
  avg_confidence double precision,
  win_rate double precision,
  profit_loss double precision
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  WITH
  bounds AS (
    SELECT (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') - make_interval(days => get_performance_trends.days) AS start_at,
           coalesce((SELECT s.through FROM ml_rollup_state s WHERE s.name = 'prediction_daily'), '-infinity'::timestamptz) AS through
  ),
  rolled AS (
    SELECT d.day, sum(d.predictions)::integer AS n,
           sum(d.avg_confidence * d.predictions) / nullif(sum(d.predictions), 0) AS conf,
           sum(d.wins)::double precision / nullif(sum(d.trades), 0) AS wr,
           sum(d.profit_loss) AS pl
    FROM ml_prediction_daily d, bounds b
    WHERE d.day >= (b.start_at AT TIME ZONE 'UTC')::date AND b.through > b.start_at AND d.day < (b.through AT TIME ZONE 'UTC')::date
    GROUP BY d.day
  ),
  live AS (
    SELECT
      (p.prediction_timestamp AT TIME ZONE 'UTC')::date AS day,
      count(*)::integer AS n,
      avg(p.confidence_score) AS conf,
      (count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.actual_profit_loss > 0))::double precision
        / nullif(count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0) AS wr,
      coalesce(sum(p.actual_profit_loss) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0) AS pl
    FROM ml_predictions p, bounds b
    WHERE p.prediction_timestamp >= greatest(b.start_at, b.through)
    GROUP BY 1
  )
  SELECT day, n, conf, wr, pl FROM rolled
  UNION ALL
  SELECT day, n, conf, wr, pl FROM live
  ORDER BY 1 ASC;
$$;
