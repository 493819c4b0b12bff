-- The signal record belongs to the market (DESIGN.md "Access and integrity").
--
-- A SIGNAL row is what the live pipeline computed from the feed; nothing else may occupy its key
-- (symbol, timeframe, candle_time, model_version). Before this migration that key was unique over
-- every prediction type, so an API prediction over caller-supplied candles, stored first, made the
-- live signal's insert a no-op and the fabricated prices became the record. Now:
-- * the natural key is unique among SIGNAL rows only; API and BACKTEST rows are keyed by their id;
-- * an API row records who asked (requested_by: the user, api_key_id: the key);
-- * every read that means "the market record" reads SIGNAL rows only: the stream resume and the
--   tracker reload (sb_read_predictions), the open-signals view, the dashboard and trend functions;
-- * authenticated users read SIGNAL rows and their own API rows; Realtime's postgres_changes
--   applies the same policy, so a caller's computation reaches nobody else's feed.
-- Safe on an existing database: rows kept their uniqueness under the old constraint, so the
-- partial index builds; every statement is guarded or a replace.

ALTER TABLE ml_predictions ADD COLUMN IF NOT EXISTS requested_by uuid;
ALTER TABLE ml_predictions ADD COLUMN IF NOT EXISTS api_key_id uuid;

CREATE UNIQUE INDEX IF NOT EXISTS ml_predictions_one_signal_per_candle
  ON ml_predictions (symbol, timeframe, candle_time, model_version) WHERE prediction_type = 'SIGNAL';
ALTER TABLE ml_predictions DROP CONSTRAINT IF EXISTS ml_predictions_one_per_candle;
CREATE INDEX IF NOT EXISTS idx_ml_predictions_requested_by ON ml_predictions (requested_by) WHERE requested_by IS NOT NULL;

-- Inserts predictions; a row already stored (same id, or, for SIGNAL rows, the same
-- symbol/timeframe/candle/model) is skipped. Returns how many were inserted.
CREATE OR REPLACE FUNCTION sb_insert_predictions(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_predictions (id, model_version, symbol, timeframe, candle_time, prediction_type,
      input_features, technical_indicators, market_conditions, predicted_direction, confidence_score,
      probabilities, signal_weight, recommendation, position_multiplier, entry_price, stop_loss,
      take_profit, risk_assessment, risk_score, prediction_timestamp, processing_time_ms,
      actual_outcome, actual_profit_loss, exit_price, outcome_timestamp, requested_by, api_key_id)
    SELECT r.id, r.model_version, r.symbol, r.timeframe, timestamptz 'epoch' + r.candle_ms * interval '1 millisecond',
      r.prediction_type, r.input_features, r.technical_indicators, r.market_conditions, r.predicted_direction,
      r.confidence_score, r.probabilities, r.signal_weight, r.recommendation, r.position_multiplier,
      r.entry_price, r.stop_loss, r.take_profit, r.risk_assessment, r.risk_score,
      timestamptz 'epoch' + r.created_ms * interval '1 millisecond', r.processing_time_ms,
      r.actual_outcome, r.actual_profit_loss, r.exit_price,
      timestamptz 'epoch' + r.outcome_ms * interval '1 millisecond', r.requested_by, r.api_key_id
    FROM jsonb_to_recordset(p_rows) AS r(id uuid, model_version text, symbol text, timeframe text,
      candle_ms float8, prediction_type text, input_features jsonb, technical_indicators jsonb,
      market_conditions jsonb, predicted_direction text, confidence_score float8, probabilities jsonb,
      signal_weight float8, recommendation text, position_multiplier float8, entry_price float8,
      stop_loss float8, take_profit float8, risk_assessment jsonb, risk_score float8, created_ms float8,
      processing_time_ms float8, actual_outcome text, actual_profit_loss float8, exit_price float8,
      outcome_ms float8, requested_by uuid, api_key_id uuid)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

-- SIGNAL rows in stream order (candle_time, symbol, timeframe, model_version, id): the stream's
-- resume and the tracker's reload read the market record, never a caller's computation.
CREATE OR REPLACE FUNCTION sb_read_predictions(p_query jsonb)
RETURNS SETOF ml_predictions
LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_where text[] := ARRAY['prediction_type = ''SIGNAL'''::text];
  v_after jsonb := nullif(p_query -> 'after', 'null'::jsonb);
  v_symbols text[];
  v_sql text;
BEGIN
  IF v_after IS NOT NULL THEN
    v_where := v_where || format(
      '(candle_time, symbol, timeframe, model_version, id) > (timestamptz %L + %s * interval %L, %L::text, %L::text, %L::text, %L::uuid)',
      'epoch', (v_after ->> 'candle_ms')::float8, '1 millisecond', v_after ->> 'symbol', v_after ->> 'timeframe',
      v_after ->> 'model_version', v_after ->> 'id');
  END IF;
  IF p_query ->> 'after_ms' IS NOT NULL THEN
    v_where := v_where || format('candle_time > timestamptz %L + %s::float8 * interval %L',
      'epoch', (p_query ->> 'after_ms')::float8, '1 millisecond');
  END IF;
  IF jsonb_typeof(p_query -> 'symbols') = 'array' THEN
    SELECT array_agg(s) INTO v_symbols FROM jsonb_array_elements_text(p_query -> 'symbols') AS s;
    IF v_symbols IS NOT NULL AND NOT ('*' = ANY (v_symbols)) THEN
      v_where := v_where || format('symbol = ANY (%L::text[])', v_symbols);
    END IF;
  END IF;
  IF coalesce((p_query ->> 'open_only')::boolean, false) THEN
    v_where := v_where || 'actual_outcome IS NULL'::text;
  END IF;
  v_sql := 'SELECT * FROM ml_predictions WHERE ' || array_to_string(v_where, ' AND ')
    || ' ORDER BY candle_time, symbol, timeframe, model_version, id'
    || CASE WHEN p_query ->> 'limit' IS NOT NULL THEN format(' LIMIT %s', greatest(0, (p_query ->> 'limit')::integer)) ELSE '' END;
  RETURN QUERY EXECUTE v_sql;
END;
$$;

CREATE OR REPLACE VIEW ml_open_signals AS
SELECT
  p.id, p.symbol, p.timeframe, p.candle_time, p.model_version, p.predicted_direction,
  p.confidence_score, p.recommendation, p.entry_price, p.stop_loss, p.take_profit,
  p.prediction_timestamp, now() - p.candle_time AS age
FROM ml_predictions p
WHERE p.prediction_type = 'SIGNAL' AND p.actual_outcome IS NULL AND p.predicted_direction <> 'HOLD'
ORDER BY p.candle_time, p.symbol;

CREATE OR REPLACE FUNCTION get_ml_dashboard_data()
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
    FROM ml_predictions p, day WHERE p.prediction_type = 'SIGNAL' AND p.prediction_timestamp >= day.start_at
  ),
  trades AS (
    SELECT count(*)::integer AS n,
           count(*) FILTER (WHERE p.actual_profit_loss > 0)::integer AS wins,
           sum(p.actual_profit_loss) AS pl
    FROM ml_predictions p, day
    WHERE p.prediction_type = 'SIGNAL' AND p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')
      AND p.outcome_timestamp >= day.start_at
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
      WHERE op.prediction_type = 'SIGNAL' AND op.actual_outcome IS NULL AND op.predicted_direction <> 'HOLD')
  FROM preds CROSS JOIN trades LEFT JOIN active_model am ON true;
$$;

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
  SELECT
    (p.prediction_timestamp AT TIME ZONE 'UTC')::date AS day,
    count(*)::integer,
    avg(p.confidence_score),
    (count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.actual_profit_loss > 0))::double precision
      / nullif(count(*) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0),
    coalesce(sum(p.actual_profit_loss) FILTER (WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED')), 0)
  FROM ml_predictions p
  WHERE p.prediction_type = 'SIGNAL'
    AND p.prediction_timestamp >= (date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                                  - make_interval(days => get_performance_trends.days)
  GROUP BY 1
  ORDER BY 1 ASC;
$$;

-- Who asked for a retrain (the Edge Function records the caller's user id).
ALTER TABLE ml_retrain_requests ADD COLUMN IF NOT EXISTS requested_by uuid;

-- An API row names the user it was made for (requested_by) as the calling key says; a user sees it
-- only when that key may speak for the user: an operator's key (created_by null, e.g. the
-- ml-predict Edge Function's) or the user's own. So nobody's self-service key can plant rows in
-- another user's view. SECURITY DEFINER: the user cannot read other keys' rows itself.
CREATE OR REPLACE FUNCTION sb_key_speaks_for(p_key_id uuid, p_user uuid)
RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
  SELECT EXISTS (SELECT 1 FROM ml_api_keys k WHERE k.id = p_key_id AND (k.created_by IS NULL OR k.created_by = p_user))
$$;
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION sb_key_speaks_for(uuid, uuid) SET search_path = %I, pg_temp', current_schema());
END
$$;
REVOKE ALL ON FUNCTION sb_key_speaks_for(uuid, uuid) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION sb_key_speaks_for(uuid, uuid) TO authenticated, service_role;

DROP POLICY IF EXISTS "authenticated reads signals" ON ml_predictions;
CREATE POLICY "authenticated reads signals" ON ml_predictions FOR SELECT TO authenticated
  USING (prediction_type = 'SIGNAL'
         OR (requested_by IS NOT NULL AND requested_by = auth.uid() AND sb_key_speaks_for(api_key_id, auth.uid())));

GRANT SELECT (id, source, reason, force, status, model_version, error, created_at, started_at, finished_at, requested_by)
  ON TABLE ml_retrain_requests TO authenticated;
DROP POLICY IF EXISTS "authenticated reads own retrain requests" ON ml_retrain_requests;
CREATE POLICY "authenticated reads own retrain requests" ON ml_retrain_requests FOR SELECT TO authenticated
  USING (requested_by IS NOT NULL AND requested_by = auth.uid());

DO $$
BEGIN
  IF current_setting('server_version_num')::integer >= 150000 THEN
    ALTER VIEW ml_open_signals SET (security_invoker = true);
  END IF;
END
$$;
