-- The live scorecard (issue 16, DESIGN.md "Models"): how the signals a model published have done so
-- far, per model version and symbol, per model version over all symbols (symbol '*'), and overall
-- (model_version '*', symbol '*'). Only the live pipeline's signals (prediction_type 'SIGNAL') count;
-- a trade is a BUY/SELL whose outcome has resolved (TP_HIT, SL_HIT, EXPIRED), its P/L the tracker's
-- net P/L in percent (fees of both sides included).
--
--   hit_rate          trades with P/L > 0 / trades
--   mean_pnl_pct      mean net P/L per trade, with a 95% percentile-bootstrap interval
--                     (ml_bootstrap_mean_ci: 1000 resamples, a seeded hash generator, so the same
--                     rows always give the same interval, in Postgres and in PGlite)
--   profit_factor     Σ P/L > 0 / |Σ P/L < 0| ('Infinity' with no losing trade, NULL with no trade)
--   max_drawdown_pct  largest fall of the cumulative P/L (trades in candle_time order) from its
--                     running peak, which starts at 0; percentage points, >= 0
--   brier, ece, calibration: the traded side's confidence against whether the trade won: Brier =
--                     mean (confidence − won)², the non-empty ones of 10 equal-width confidence
--                     bins (from, to, count, mean confidence, win rate), ECE = Σ (n_b / n) ·
--                     |win rate_b − confidence_b|. (The test-window figures of a model compare the
--                     top class with the barrier label; live, only a trade's result is recorded.)
-- p_model_version, p_symbol: NULL for all; p_days: signals whose candle_time is within the last
-- p_days days (NULL: all). SECURITY INVOKER: callers see the rows their RLS lets them see.

CREATE OR REPLACE FUNCTION ml_bootstrap_mean_ci(
  p_values double precision[],
  p_resamples integer DEFAULT 1000,
  p_seed bigint DEFAULT 0,
  p_level double precision DEFAULT 0.95
)
RETURNS TABLE (ci_low double precision, ci_high double precision)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path FROM CURRENT
AS $$
  -- Resample b draws index 1 + (h mod n) for i = 1..n, h = hashint8extended(i, seed · 2³² + b) with
  -- its sign bit cleared: a stateless, seeded generator (the 64-bit hash seed carries the resample),
  -- so the interval depends only on the values, the number of resamples and the seed. (Not the value
  -- (b << 32) | i: hashint8 folds the two halves of a bigint together before hashing.)
  WITH v AS (SELECT coalesce(cardinality(p_values), 0)::bigint AS n),
  means AS (
    SELECT avg(p_values[1 + ((hashint8extended(i, p_seed * 4294967296 + b) & 9223372036854775807) % v.n)]) AS m
    FROM v, generate_series(1, p_resamples) AS b, generate_series(1::bigint, v.n) AS i
    WHERE v.n > 0
    GROUP BY b
  )
  SELECT percentile_cont((1 - p_level) / 2) WITHIN GROUP (ORDER BY m),
         percentile_cont(1 - (1 - p_level) / 2) WITHIN GROUP (ORDER BY m)
  FROM means
$$;

CREATE OR REPLACE FUNCTION get_signal_scorecard(
  p_model_version text DEFAULT NULL,
  p_symbol text DEFAULT NULL,
  p_days integer DEFAULT NULL
)
RETURNS TABLE (
  model_version text,
  symbol text,
  signals bigint,
  resolved bigint,
  trades bigint,
  hit_rate double precision,
  mean_pnl_pct double precision,
  mean_pnl_ci_low double precision,
  mean_pnl_ci_high double precision,
  profit_factor double precision,
  max_drawdown_pct double precision,
  total_pnl_pct double precision,
  brier double precision,
  ece double precision,
  calibration jsonb,
  first_signal timestamptz,
  last_signal timestamptz
)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  WITH s AS (
    SELECT p.model_version, p.symbol, p.candle_time, p.id, p.confidence_score, p.actual_outcome,
      (p.predicted_direction <> 'HOLD' AND p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.actual_profit_loss IS NOT NULL) AS is_trade,
      p.actual_profit_loss
    FROM ml_predictions p
    WHERE p.prediction_type = 'SIGNAL'
      AND (p_model_version IS NULL OR p.model_version = p_model_version)
      AND (p_symbol IS NULL OR p.symbol = p_symbol)
      AND (p_days IS NULL OR p.candle_time >= now() - make_interval(days => p_days))
  ),
  g AS (
    SELECT
      CASE WHEN grouping(s.model_version) = 1 THEN '*' ELSE s.model_version END AS model_version,
      CASE WHEN grouping(s.symbol) = 1 THEN '*' ELSE s.symbol END AS symbol,
      count(*) AS signals,
      count(*) FILTER (WHERE s.actual_outcome IS NOT NULL) AS resolved,
      coalesce(array_agg(s.actual_profit_loss ORDER BY s.candle_time, s.symbol, s.model_version, s.id) FILTER (WHERE s.is_trade), '{}') AS pnl,
      coalesce(array_agg(s.confidence_score ORDER BY s.candle_time, s.symbol, s.model_version, s.id) FILTER (WHERE s.is_trade), '{}') AS conf,
      min(s.candle_time) AS first_signal,
      max(s.candle_time) AS last_signal
    FROM s
    GROUP BY GROUPING SETS ((s.model_version, s.symbol), (s.model_version), ())
  )
  SELECT g.model_version, g.symbol, g.signals, g.resolved, st.n AS trades,
    CASE WHEN st.n > 0 THEN st.wins::double precision / st.n END AS hit_rate,
    st.mean AS mean_pnl_pct, boot.ci_low, boot.ci_high,
    CASE WHEN st.n = 0 THEN NULL WHEN st.loss > 0 THEN st.gain / st.loss WHEN st.gain > 0 THEN 'Infinity'::double precision ELSE 0 END AS profit_factor,
    dd.max_dd AS max_drawdown_pct, st.total AS total_pnl_pct,
    cal.brier, cal.ece, cal.bins AS calibration,
    g.first_signal, g.last_signal
  FROM g
  CROSS JOIN LATERAL (
    SELECT count(*) AS n, avg(x) AS mean, sum(x) AS total, count(*) FILTER (WHERE x > 0) AS wins,
      coalesce(sum(x) FILTER (WHERE x > 0), 0) AS gain, coalesce(-sum(x) FILTER (WHERE x < 0), 0) AS loss
    FROM unnest(g.pnl) AS x
  ) AS st
  LEFT JOIN LATERAL ml_bootstrap_mean_ci(g.pnl, 1000, 0, 0.95) AS boot ON true
  CROSS JOIN LATERAL (
    SELECT max(peak - cum) AS max_dd
    FROM (
      SELECT cum, greatest(0, max(cum) OVER (ORDER BY k)) AS peak
      FROM (SELECT k, sum(x) OVER (ORDER BY k) AS cum FROM unnest(g.pnl) WITH ORDINALITY AS u(x, k)) AS c
    ) AS d
  ) AS dd
  CROSS JOIN LATERAL (
    -- Per non-empty bin: n, Σ confidence, Σ won, Σ (confidence − won)²; ECE = Σ_b |Σ won − Σ conf| / N.
    SELECT sum(b.sq) / nullif(sum(b.n), 0) AS brier,
      sum(abs(b.wins - b.confs)) / nullif(sum(b.n), 0) AS ece,
      coalesce(jsonb_agg(jsonb_build_object('from', b.bin / 10.0, 'to', (b.bin + 1) / 10.0, 'count', b.n,
        'confidence', b.confs / b.n, 'win_rate', b.wins / b.n) ORDER BY b.bin), '[]'::jsonb) AS bins
    FROM (
      SELECT least(9, floor(t.c * 10))::integer AS bin, count(*) AS n, sum(t.c) AS confs,
        sum(CASE WHEN t.x > 0 THEN 1 ELSE 0 END)::double precision AS wins,
        sum((t.c - CASE WHEN t.x > 0 THEN 1 ELSE 0 END) ^ 2) AS sq
      FROM unnest(g.pnl, g.conf) AS t(x, c)
      GROUP BY 1
    ) AS b
  ) AS cal
  ORDER BY (g.model_version = '*'), g.model_version, (g.symbol = '*'), g.symbol
$$;

REVOKE ALL ON FUNCTION ml_bootstrap_mean_ci(double precision[], integer, bigint, double precision) FROM PUBLIC, anon;
REVOKE ALL ON FUNCTION get_signal_scorecard(text, text, integer) FROM PUBLIC, anon;
GRANT EXECUTE ON FUNCTION ml_bootstrap_mean_ci(double precision[], integer, bigint, double precision) TO authenticated, service_role;
GRANT EXECUTE ON FUNCTION get_signal_scorecard(text, text, integer) TO authenticated, service_role;
