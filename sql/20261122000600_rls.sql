-- Row level security and grants (DESIGN.md "Store schema"):
--   service_role   reads and writes everything;
--   authenticated  reads signals and their outcomes (ml_predictions), models, weights, performance
--                  and drift reports, and manages only its own API keys (never their hashes);
--   anon           reads only the active model, the weights and the performance reports.
-- Nobody but service_role reads key hashes or training samples. The daemon connects as the owner
-- of these tables, which RLS does not restrict.
--
-- Supabase grants every privilege on new tables in public to anon and authenticated and relies on
-- RLS alone; here both layers say the same thing: privileges are revoked and granted exactly, and
-- the policies would still refuse the same rows if the broad grants came back.
--
-- The plan's policies let anyone insert predictions ("Allow anonymous predictions") and let
-- everyone read all of them ("Users read own predictions"); a project that applied the plan gets
-- them dropped here.

DROP POLICY IF EXISTS "Allow anonymous predictions" ON ml_predictions;
DROP POLICY IF EXISTS "Users read own predictions" ON ml_predictions;
DROP POLICY IF EXISTS "Service role full access to predictions" ON ml_predictions;
DROP POLICY IF EXISTS "Public read access to model information" ON ml_indicator_weights;
DROP POLICY IF EXISTS "Public read access to model performance" ON ml_model_performance;
DROP POLICY IF EXISTS "Public read access to active models" ON ml_models;
DROP POLICY IF EXISTS "Service role full access to models" ON ml_models;
DROP POLICY IF EXISTS "Service role full access to training samples" ON ml_training_samples;
DROP POLICY IF EXISTS "Service role full access to API keys" ON ml_api_keys;
DROP POLICY IF EXISTS "Users manage own API keys" ON ml_api_keys;

DO $$
DECLARE
  t text;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA %I TO anon, authenticated, service_role', current_schema());

  FOREACH t IN ARRAY ARRAY[
    'ml_schema_migrations', 'ml_models', 'ml_indicator_weights', 'ml_training_samples',
    'ml_model_performance', 'ml_predictions', 'ml_generation_logs', 'ml_model_drift',
    'ml_api_keys', 'ml_candles', 'ml_retrain_requests', 'ml_model_artifacts'
  ] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON TABLE %I FROM PUBLIC, anon, authenticated, service_role', t);
    EXECUTE format('GRANT ALL ON TABLE %I TO service_role', t);
    -- Explicit, so it holds without Supabase's BYPASSRLS on service_role.
    EXECUTE format('CREATE POLICY "service_role full access" ON %I FOR ALL TO service_role USING (true) WITH CHECK (true)', t);
  END LOOP;

  FOREACH t IN ARRAY ARRAY['ml_active_model', 'ml_recent_training_runs', 'ml_open_signals'] LOOP
    EXECUTE format('REVOKE ALL ON TABLE %I FROM PUBLIC, anon, authenticated, service_role', t);
    EXECUTE format('GRANT SELECT ON TABLE %I TO service_role', t);
  END LOOP;
END
$$;

-- anon and authenticated: model information, weights, performance.
GRANT SELECT ON TABLE ml_models, ml_indicator_weights, ml_model_performance TO anon, authenticated;
GRANT SELECT ON TABLE ml_active_model TO anon, authenticated;
CREATE POLICY "anon reads the active model" ON ml_models FOR SELECT TO anon USING (is_active);
CREATE POLICY "authenticated reads models" ON ml_models FOR SELECT TO authenticated USING (true);
CREATE POLICY "everyone reads weights" ON ml_indicator_weights FOR SELECT TO anon, authenticated USING (true);
CREATE POLICY "everyone reads performance" ON ml_model_performance FOR SELECT TO anon, authenticated USING (true);

-- authenticated: signals and outcomes, drift reports.
GRANT SELECT ON TABLE ml_predictions, ml_model_drift TO authenticated;
GRANT SELECT ON TABLE ml_recent_training_runs, ml_open_signals TO authenticated;
CREATE POLICY "authenticated reads signals" ON ml_predictions FOR SELECT TO authenticated USING (true);
CREATE POLICY "authenticated reads drift" ON ml_model_drift FOR SELECT TO authenticated USING (true);

-- authenticated: its own API keys, every column but the hash. New keys come from
-- create_ml_api_key(), which generates the key; a client never writes a hash.
GRANT SELECT (id, key_name, key_prefix, key_type, rate_limit_per_hour, is_active, created_by,
              created_at, expires_at, revoked_at, last_used_at, usage_count)
  ON TABLE ml_api_keys TO authenticated;
GRANT UPDATE (key_name, is_active, revoked_at) ON TABLE ml_api_keys TO authenticated;
GRANT DELETE ON TABLE ml_api_keys TO authenticated;
CREATE POLICY "authenticated reads own keys" ON ml_api_keys FOR SELECT TO authenticated
  USING (created_by = auth.uid());
CREATE POLICY "authenticated updates own keys" ON ml_api_keys FOR UPDATE TO authenticated
  USING (created_by = auth.uid()) WITH CHECK (created_by = auth.uid());
CREATE POLICY "authenticated deletes own keys" ON ml_api_keys FOR DELETE TO authenticated
  USING (created_by = auth.uid());

-- Functions: PostgreSQL lets PUBLIC execute new functions; here each role gets what its tables allow.
REVOKE ALL ON FUNCTION
  get_latest_indicator_weights(), get_model_performance_metrics(text, integer),
  calculate_trading_statistics(integer, text), detect_model_drift(text, double precision),
  get_ml_dashboard_data(), get_performance_trends(integer),
  create_ml_api_key(text, text, integer, integer, uuid), validate_ml_api_key(text),
  update_model_timestamp(), touch_indicator_weight(), log_model_performance_change()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION get_latest_indicator_weights(), get_model_performance_metrics(text, integer),
  validate_ml_api_key(text)
  TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION detect_model_drift(text, double precision), get_ml_dashboard_data(),
  get_performance_trends(integer), create_ml_api_key(text, text, integer, integer, uuid)
  TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION calculate_trading_statistics(integer, text) TO service_role;
