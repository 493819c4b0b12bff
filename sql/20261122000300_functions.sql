-- The reference plan's functions, under the same names and parameter names (PostgREST calls them
-- by name), rewritten where the plan was wrong:
-- * every function pins its search path (SET search_path FROM CURRENT) so it resolves to the
--   schema it was created in, even when called from another search path;
-- * result columns are text / integer / double precision: the plan declared INTEGER and
--   DECIMAL(5,4) columns but returned COUNT(*) (bigint) and AVG (numeric), which RETURN QUERY
--   rejects, and its ratios overflowed;
-- * calculate_trading_statistics averages prediction_confidence (the plan averaged
--   performance_score), counts EXPIRED trades, and gives a null profit factor when there is no loss;
-- * detect_model_drift reports the stored ml_model_drift records (the plan's body was not valid
--   PL/pgSQL: RETURN NEXT VALUES ...);
-- * the dashboard counts real outcomes (TP_HIT / SL_HIT / EXPIRED), never the plan's 'PROFIT',
--   and returns its one row even when no model is active;
-- * API keys: generated here, shown once, stored as sha256 only; validate_ml_api_key is valid
--   PL/pgSQL (the plan's RETURN NEXT SELECT is not) and refuses revoked, expired and unknown keys.
--
-- "Trades" are resolved signals whose outcome is TP_HIT, SL_HIT or EXPIRED (a HOLD resolves to
-- NO_TRADE and is not a trade); a win is a trade with a positive profit/loss. Days are UTC days.

-- A project that grew from the plan has its versions (varchar / decimal signatures); replacing
-- them avoids two overloads that PostgREST could not choose between.
DROP FUNCTION IF EXISTS get_latest_indicator_weights();
DROP FUNCTION IF EXISTS get_model_performance_metrics(varchar, integer);
DROP FUNCTION IF EXISTS calculate_trading_statistics(integer, varchar);
DROP FUNCTION IF EXISTS detect_model_drift(varchar, numeric);
DROP FUNCTION IF EXISTS get_ml_dashboard_data();
DROP FUNCTION IF EXISTS get_performance_trends(integer);
DROP FUNCTION IF EXISTS validate_ml_api_key(varchar);

CREATE FUNCTION get_latest_indicator_weights()
RETURNS TABLE (
  indicator_name text,
  current_weight double precision,
  weight_category text,
  last_updated timestamptz
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT iw.indicator_name, iw.current_weight, iw.weight_category, iw.last_updated
  FROM ml_indicator_weights iw
  ORDER BY iw.importance_rank ASC NULLS LAST, iw.indicator_name ASC;
$$;

CREATE FUNCTION get_model_performance_metrics(
  p_model_version text DEFAULT NULL,
  p_days integer DEFAULT 30
)
RETURNS TABLE (
  model_version text,
  training_date timestamptz,
  accuracy double precision,
  win_rate double precision,
  profit_factor double precision,
  max_drawdown double precision,
  sharpe_ratio double precision,
  sortino_ratio double precision,
  calmar_ratio double precision,
  evaluation text
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT m.model_version, m.training_date, m.accuracy, m.overall_win_rate, m.profit_factor,
         m.max_drawdown, m.sharpe_ratio, m.sortino_ratio, m.calmar_ratio, m.evaluation
  FROM ml_model_performance m
  WHERE (p_model_version IS NULL OR m.model_version = p_model_version)
    AND m.training_date >= now() - make_interval(days => p_days)
  ORDER BY m.training_date DESC, m.evaluation;
$$;

CREATE FUNCTION calculate_trading_statistics(
  p_days integer DEFAULT 30,
  p_symbol text DEFAULT NULL
)
RETURNS TABLE (
  total_trades integer,
  winning_trades integer,
  losing_trades integer,
  win_rate double precision,
  avg_profit_loss double precision,
  total_profit_loss double precision,
  profit_factor double precision,
  avg_confidence double precision,
  symbol text
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT
    count(*)::integer,
    count(*) FILTER (WHERE ts.profit_loss > 0)::integer,
    count(*) FILTER (WHERE ts.profit_loss < 0)::integer,
    (count(*) FILTER (WHERE ts.profit_loss > 0))::double precision / count(*),
    avg(ts.profit_loss),
    sum(ts.profit_loss),
    -- gross profit / gross loss; undefined (null) when nothing was lost
    coalesce(sum(ts.profit_loss) FILTER (WHERE ts.profit_loss > 0), 0)
      / nullif(sum(-ts.profit_loss) FILTER (WHERE ts.profit_loss < 0), 0),
    avg(ts.prediction_confidence),
    ts.symbol
  FROM ml_training_samples ts
  WHERE coalesce(ts.candle_time, ts.created_at) >= now() - make_interval(days => p_days)
    AND ts.status IN ('TP_HIT', 'SL_HIT', 'EXPIRED')
    AND ts.profit_loss IS NOT NULL
    AND (p_symbol IS NULL OR ts.symbol = p_symbol)
  GROUP BY ts.symbol
  ORDER BY ts.symbol;
$$;

-- The latest stored drift check for a model version (written by signalbase's drift checks), with
-- the component that drifted most and what to do. p_threshold decides which component scores
-- earn a recommendation of their own; drift_detected is the check's own verdict.
CREATE FUNCTION detect_model_drift(
  p_model_version text,
  p_threshold double precision DEFAULT 0.1
)
RETURNS TABLE (
  drift_detected boolean,
  drift_score double precision,
  drift_type text,
  recommendations text[],
  checked_at timestamptz,
  check_status text
)
LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  r ml_model_drift%ROWTYPE;
  v_type text;
  v_recs text[] := ARRAY[]::text[];
BEGIN
  SELECT * INTO r
  FROM ml_model_drift d
  WHERE d.model_version = p_model_version
  ORDER BY d.drift_date DESC, d.created_at DESC
  LIMIT 1;

  IF NOT FOUND THEN
    RETURN QUERY SELECT false, NULL::double precision, 'No Drift Check'::text,
      ARRAY['No drift check is recorded for this model version: run signalbase drift check']::text[],
      NULL::timestamptz, 'no_record'::text;
    RETURN;
  END IF;

  SELECT c.name INTO v_type
  FROM (VALUES ('Data Drift', r.data_drift_score),
               ('Prediction Drift', r.prediction_drift_score),
               ('Performance Drift', r.performance_drift_score)) AS c(name, score)
  WHERE c.score IS NOT NULL
  ORDER BY c.score DESC
  LIMIT 1;

  IF r.drift_detected THEN
    v_recs := v_recs || CASE WHEN r.retraining_triggered
      THEN 'Retraining already requested'::text ELSE 'Retraining recommended'::text END;
  ELSE
    v_type := CASE r.status
      WHEN 'insufficient_data' THEN 'Insufficient Data'
      WHEN 'no_reference' THEN 'No Reference'
      ELSE 'No Significant Drift' END;
  END IF;
  IF r.data_drift_score > p_threshold THEN
    v_recs := v_recs || 'Check data quality: input feature distributions shifted'::text;
  END IF;
  IF r.prediction_drift_score > p_threshold THEN
    v_recs := v_recs || 'Prediction mix shifted: review recent signals'::text;
  END IF;
  IF r.performance_drift_score > p_threshold THEN
    v_recs := v_recs || 'Model performance degraded'::text;
  END IF;

  RETURN QUERY SELECT r.drift_detected, r.overall_drift_score, coalesce(v_type, 'Unknown'),
    v_recs, r.drift_date, r.status;
END;
$$;

-- One row, always (the plan's returned nothing while no model was active). "Today" is the current
-- UTC day: predictions made today, trades resolved today.
CREATE FUNCTION get_ml_dashboard_data()
RETURNS TABLE (
  active_model_version text,
  total_predictions_today integer,
  avg_confidence_today double precision,
  win_rate_today double precision,
  total_trades_today integer,
  profit_today double precision,
  model_accuracy double precision,
  last_training_date timestamptz,
  total_models integer,
  active_indicators integer,
  open_signals integer
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  WITH
  day AS (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start_at),
  active_model AS (SELECT m.model_version, m.accuracy FROM ml_models m WHERE m.is_active LIMIT 1),
  preds AS (
    SELECT count(*)::integer AS n, avg(p.confidence_score) AS avg_conf
    FROM ml_predictions p, day WHERE p.prediction_timestamp >= day.start_at
  ),
  trades AS (
    SELECT count(*)::integer AS n,
           count(*) FILTER (WHERE p.actual_profit_loss > 0)::integer AS wins,
           sum(p.actual_profit_loss) AS pl
    FROM ml_predictions p, day
    WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.outcome_timestamp >= day.start_at
  )
  SELECT
    am.model_version,
    preds.n,
    preds.avg_conf,
    trades.wins::double precision / nullif(trades.n, 0),
    trades.n,
    coalesce(trades.pl, 0),
    am.accuracy,
    (SELECT max(mp.training_date) FROM ml_model_performance mp),
    (SELECT count(*)::integer FROM ml_models),
    (SELECT count(*)::integer FROM ml_indicator_weights),
    (SELECT count(*)::integer FROM ml_predictions op
      WHERE op.actual_outcome IS NULL AND op.predicted_direction <> 'HOLD')
  FROM preds CROSS JOIN trades LEFT JOIN active_model am ON true;
$$;

-- Per UTC day of prediction over the last `days` days: how many signals, their mean confidence,
-- and the win rate and summed profit/loss (percent) of those that resolved as trades.
CREATE FUNCTION get_performance_trends(days integer DEFAULT 30)
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
  SELECT
    (p.prediction_timestamp AT TIME ZONE 'UTC')::date AS day,
    count(*)::integer,
    avg(p.confidence_score),
    (count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.actual_profit_loss > 0))::double precision
      / nullif(count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0),
    coalesce(sum(p.actual_profit_loss) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0)
  FROM ml_predictions p
  WHERE p.prediction_timestamp >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                                  - make_interval(days => get_performance_trends.days)
  GROUP BY 1
  ORDER BY 1 ASC;
$$;

-- Creates an API key and returns it ONCE. The key is 'sb_' and 64 hex digits drawn from two
-- gen_random_uuid() values (244 random bits); only its sha256 and its first 7 characters are kept.
-- A caller whose JWT role is 'authenticated' always creates a key owned by itself (auth.uid()),
-- never an admin key; the service role and the table owner may create any key for anyone.
CREATE FUNCTION create_ml_api_key(
  p_key_name text,
  p_key_type text DEFAULT 'prediction',
  p_rate_limit integer DEFAULT 1000,
  p_expires_days integer DEFAULT NULL,
  p_created_by uuid DEFAULT NULL
)
RETURNS TABLE (
  id uuid,
  api_key text,
  key_prefix text,
  key_type text,
  rate_limit_per_hour integer,
  expires_at timestamptz,
  created_by uuid
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_key text := 'sb_' || encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'hex');
  v_owner uuid := p_created_by;
  v_row ml_api_keys%ROWTYPE;
BEGIN
  IF auth.role() = 'authenticated' THEN
    v_owner := auth.uid();
    IF v_owner IS NULL THEN
      RAISE EXCEPTION 'create_ml_api_key: an authenticated caller needs a sub claim' USING ERRCODE = '42501';
    END IF;
    IF p_key_type = 'admin' THEN
      RAISE EXCEPTION 'create_ml_api_key: only the service role can create admin keys' USING ERRCODE = '42501';
    END IF;
  END IF;
  IF p_expires_days IS NOT NULL AND p_expires_days <= 0 THEN
    RAISE EXCEPTION 'create_ml_api_key: p_expires_days must be positive, got %', p_expires_days USING ERRCODE = '22023';
  END IF;

  INSERT INTO ml_api_keys (key_name, key_hash, key_prefix, key_type, rate_limit_per_hour, created_by, expires_at)
  VALUES (p_key_name, encode(sha256(convert_to(v_key, 'UTF8')), 'hex'), left(v_key, 7), p_key_type,
          coalesce(p_rate_limit, 1000), v_owner,
          CASE WHEN p_expires_days IS NULL THEN NULL ELSE now() + make_interval(days => p_expires_days) END)
  RETURNING * INTO v_row;

  RETURN QUERY SELECT v_row.id, v_key, v_row.key_prefix, v_row.key_type, v_row.rate_limit_per_hour,
    v_row.expires_at, v_row.created_by;
END;
$$;

-- One row, always: is_valid = false (and nulls) for a revoked, expired or unknown key. A valid key
-- counts one use. Runs as the owner so callers need no access to ml_api_keys.
CREATE FUNCTION validate_ml_api_key(api_key_text text)
RETURNS TABLE (
  is_valid boolean,
  key_id uuid,
  key_name text,
  key_type text,
  rate_limit integer,
  usage_count bigint
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_hash text := encode(sha256(convert_to(coalesce(api_key_text, ''), 'UTF8')), 'hex');
  v_row ml_api_keys%ROWTYPE;
BEGIN
  UPDATE ml_api_keys k
  SET usage_count = k.usage_count + 1, last_used_at = now()
  WHERE k.key_hash = v_hash
    AND k.is_active
    AND (k.expires_at IS NULL OR k.expires_at > now())
  RETURNING k.* INTO v_row;

  IF FOUND THEN
    RETURN QUERY SELECT true, v_row.id, v_row.key_name, v_row.key_type, v_row.rate_limit_per_hour, v_row.usage_count;
  ELSE
    RETURN QUERY SELECT false, NULL::uuid, NULL::text, NULL::text, NULL::integer, NULL::bigint;
  END IF;
END;
$$;

-- SECURITY DEFINER functions: nobody may call them until the grants migration says who may, and
-- their search path is this schema with pg_temp last, so a temporary table cannot stand in for
-- ml_api_keys (PostgreSQL docs, "Writing SECURITY DEFINER Functions Safely").
REVOKE ALL ON FUNCTION create_ml_api_key(text, text, integer, integer, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION validate_ml_api_key(text) FROM PUBLIC;
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION create_ml_api_key(text, text, integer, integer, uuid) SET search_path = %I, pg_temp',
                 current_schema());
  EXECUTE format('ALTER FUNCTION validate_ml_api_key(text) SET search_path = %I, pg_temp', current_schema());
END
$$;
