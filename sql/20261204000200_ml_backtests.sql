-- Walk-forward backtest results (issue 16): `signalbase backtest --walk-forward ... ` records each
-- run here, the whole --json document in `result` and the headline figures in columns, so the
-- dashboard and analysts can compare what the out-of-sample system did with always-HOLD and the
-- rules without parsing JSON. Written by the service role (the CLI's store); readable like
-- ml_model_performance (model information is public in this project).
CREATE TABLE IF NOT EXISTS ml_backtests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL DEFAULT 'walk_forward' CHECK (kind IN ('walk_forward')),
  feed text NOT NULL,
  seed bigint,
  folds integer NOT NULL DEFAULT 0,
  promoted integer NOT NULL DEFAULT 0,
  refused integer NOT NULL DEFAULT 0,
  drift_alarms integer NOT NULL DEFAULT 0,
  scored_signals integer NOT NULL DEFAULT 0,
  -- Mean net P/L per trade (%) and trades over every test window, for the system, always-HOLD
  -- (always 0 trades) and the rule consensus.
  system_avg_pnl_pct double precision,
  system_trades integer,
  system_profit_factor double precision,
  rules_avg_pnl_pct double precision,
  rules_trades integer,
  rules_profit_factor double precision,
  result jsonb NOT NULL,
  duration_ms double precision CHECK (duration_ms IS NULL OR duration_ms >= 0),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS ml_backtests_created_at_idx ON ml_backtests (created_at DESC);

ALTER TABLE ml_backtests ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON TABLE ml_backtests FROM PUBLIC, anon, authenticated, service_role;
GRANT ALL ON TABLE ml_backtests TO service_role;
GRANT SELECT ON TABLE ml_backtests TO anon, authenticated;
DROP POLICY IF EXISTS "service_role full access" ON ml_backtests;
CREATE POLICY "service_role full access" ON ml_backtests FOR ALL TO service_role USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS "everyone reads backtests" ON ml_backtests;
CREATE POLICY "everyone reads backtests" ON ml_backtests FOR SELECT TO anon, authenticated USING (true);

-- The store's write (SqlStore and the Supabase REST store call the same function): the --json
-- document in, its headline figures copied into the columns. Returns the new id.
CREATE OR REPLACE FUNCTION sb_insert_backtest(p_row jsonb)
RETURNS uuid
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_backtests (kind, feed, seed, folds, promoted, refused, drift_alarms, scored_signals,
    system_avg_pnl_pct, system_trades, system_profit_factor, rules_avg_pnl_pct, rules_trades, rules_profit_factor,
    result, duration_ms)
  SELECT coalesce(p_row->>'kind', 'walk_forward'), p_row->>'feed', (p_row->>'seed')::bigint,
    coalesce((r->'summary'->>'folds')::integer, 0), coalesce((r->'summary'->>'promoted')::integer, 0),
    coalesce((r->'summary'->>'refused')::integer, 0), coalesce((r->'summary'->>'drift_alarms')::integer, 0),
    coalesce((r->'summary'->>'scored_signals')::integer, 0),
    (r->'overall'->'model'->>'avg_profit_per_trade')::double precision, (r->'overall'->'model'->>'trades')::integer,
    (r->'overall'->'model'->>'profit_factor')::double precision,
    (r->'overall'->'rules'->>'avg_profit_per_trade')::double precision, (r->'overall'->'rules'->>'trades')::integer,
    (r->'overall'->'rules'->>'profit_factor')::double precision,
    r, (r->>'duration_ms')::double precision
  FROM (SELECT p_row->'result' AS r) AS x
  RETURNING id
$$;

REVOKE ALL ON FUNCTION sb_insert_backtest(jsonb) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION sb_insert_backtest(jsonb) TO service_role;
