-- What the Edge Functions read and write in the store themselves (DESIGN.md "Access and
-- integrity"): trigger-model-training files the retrain request (with requested_by) instead of
-- calling the daemon with an admin key; technical-indicators reads the latest stored SIGNAL and
-- the weights; each function limits each caller by its own identity, counted here (one row per
-- function, caller and UTC hour), so the limit holds across the platform's isolates.
-- The functions call these through PostgREST with the service role (the caller's identity is
-- what the function verified from the caller's JWT); get_latest_signal is readable by
-- authenticated users as well (SIGNAL rows only, the market record).

CREATE TABLE IF NOT EXISTS ml_function_usage (
  function_name text NOT NULL,
  caller text NOT NULL,
  window_start timestamptz NOT NULL,
  used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (function_name, caller, window_start)
);

DO $$
BEGIN
  EXECUTE 'ALTER TABLE ml_function_usage ENABLE ROW LEVEL SECURITY';
  EXECUTE 'REVOKE ALL ON TABLE ml_function_usage FROM PUBLIC, anon, authenticated, service_role';
  EXECUTE 'GRANT ALL ON TABLE ml_function_usage TO service_role';
  EXECUTE 'DROP POLICY IF EXISTS "service_role full access" ON ml_function_usage';
  EXECUTE 'CREATE POLICY "service_role full access" ON ml_function_usage FOR ALL TO service_role USING (true) WITH CHECK (true)';
END
$$;

-- One request of p_caller's hourly p_limit for p_function; true when granted.
CREATE OR REPLACE FUNCTION sb_take_function_quota(p_function text, p_caller text, p_limit integer)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_window timestamptz := date_trunc('hour', now());
  v_used integer;
BEGIN
  INSERT INTO ml_function_usage AS u (function_name, caller, window_start, used)
  VALUES (p_function, p_caller, v_window, 1)
  ON CONFLICT (function_name, caller, window_start) DO UPDATE SET used = u.used + 1
    WHERE u.used < p_limit
  RETURNING u.used INTO v_used;
  RETURN v_used IS NOT NULL AND v_used <= p_limit;
END;
$$;

-- Files a retrain request for an operator the Edge Function verified; returns its id.
CREATE OR REPLACE FUNCTION sb_file_retrain_request(p_force boolean, p_reason text, p_requested_by uuid)
RETURNS uuid
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_retrain_requests (source, force, reason, requested_by)
  VALUES ('api', coalesce(p_force, false), p_reason, p_requested_by)
  RETURNING id
$$;

-- The newest stored SIGNAL of a symbol (never an API computation), or no row.
CREATE OR REPLACE FUNCTION get_latest_signal(p_symbol text)
RETURNS TABLE (
  id uuid,
  symbol text,
  timeframe text,
  candle_time timestamptz,
  model_version text,
  predicted_direction text,
  confidence_score double precision,
  recommendation text,
  entry_price double precision,
  stop_loss double precision,
  take_profit double precision,
  technical_indicators jsonb
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT p.id, p.symbol::text, p.timeframe::text, p.candle_time, p.model_version::text, p.predicted_direction,
         p.confidence_score, p.recommendation, p.entry_price, p.stop_loss, p.take_profit, p.technical_indicators
  FROM ml_predictions p
  WHERE p.prediction_type = 'SIGNAL' AND p.symbol = p_symbol
  ORDER BY p.candle_time DESC, p.model_version DESC
  LIMIT 1
$$;

REVOKE ALL ON FUNCTION sb_take_function_quota(text, text, integer), sb_file_retrain_request(boolean, text, uuid),
  get_latest_signal(text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION sb_take_function_quota(text, text, integer), sb_file_retrain_request(boolean, text, uuid),
  get_latest_signal(text) TO service_role;
GRANT EXECUTE ON FUNCTION get_latest_signal(text) TO authenticated;
