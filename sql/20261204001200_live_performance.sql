-- Live performance (issue: a model degrading live must show in get_model_performance_metrics):
-- rolling rows in ml_model_performance with evaluation 'live_7d' and 'live_30d' per model version,
-- from its signals whose trade resolved (TP_HIT, SL_HIT, EXPIRED) in the last 7 / 30 days. The
-- leader refreshes them hourly (src/daemon/retention.ts). Figures, per trade:
--   accuracy = overall_win_rate = share of trades with a positive profit/loss;
--   precision_buy / precision_sell = that share among BUY / SELL trades;
--   avg_profit_per_trade, profit_factor (gains / |losses|, null without a loss), max_drawdown (the
--   largest fall of the cumulative P/L in percent points, by outcome time), trades_count.
--   validation_samples_count = trades; training_samples_count = 0 (nothing was trained).
-- A window with no trade leaves no row (an old one is removed), so a stale figure never lingers.
CREATE OR REPLACE FUNCTION sb_refresh_live_performance()
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_n integer := 0;
  v_rows integer;
  w record;
BEGIN
  FOR w IN SELECT * FROM (VALUES ('live_7d', 7), ('live_30d', 30)) AS t(evaluation, days) LOOP
    WITH trades AS (
      SELECT p.model_version, p.predicted_direction AS dir, p.actual_profit_loss AS pl, p.outcome_timestamp AS at
      FROM ml_predictions p
      WHERE p.actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED') AND p.prediction_type = 'SIGNAL'
        AND p.outcome_timestamp >= now() - make_interval(days => w.days) AND p.actual_profit_loss IS NOT NULL
    ),
    curve AS (
      SELECT t.model_version, t.at, sum(t.pl) OVER (PARTITION BY t.model_version ORDER BY t.at ROWS UNBOUNDED PRECEDING) AS cum FROM trades t
    ),
    dd AS (
      SELECT c.model_version, max(c.peak - c.cum) AS max_drawdown
      FROM (SELECT curve.*, greatest(0, max(curve.cum) OVER (PARTITION BY curve.model_version ORDER BY curve.at ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) AS peak FROM curve) c
      GROUP BY c.model_version
    ),
    agg AS (
      SELECT t.model_version, count(*)::integer AS n,
        (count(*) FILTER (WHERE t.pl > 0))::double precision / count(*) AS win_rate,
        (count(*) FILTER (WHERE t.dir = 'BUY' AND t.pl > 0))::double precision / nullif(count(*) FILTER (WHERE t.dir = 'BUY'), 0) AS p_buy,
        (count(*) FILTER (WHERE t.dir = 'SELL' AND t.pl > 0))::double precision / nullif(count(*) FILTER (WHERE t.dir = 'SELL'), 0) AS p_sell,
        avg(t.pl) AS avg_pl,
        coalesce(sum(t.pl) FILTER (WHERE t.pl > 0), 0) / nullif(abs(sum(t.pl) FILTER (WHERE t.pl < 0)), 0) AS pf
      FROM trades t GROUP BY t.model_version
    ),
    gone AS (
      DELETE FROM ml_model_performance mp WHERE mp.evaluation = w.evaluation AND NOT EXISTS (SELECT 1 FROM agg WHERE agg.model_version = mp.model_version)
    )
    INSERT INTO ml_model_performance AS t (model_version, evaluation, training_date, training_samples_count, validation_samples_count,
      accuracy, precision_buy, precision_sell, overall_win_rate, avg_profit_per_trade, profit_factor, max_drawdown, trades_count)
    SELECT a.model_version, w.evaluation, now(), 0, a.n, a.win_rate, a.p_buy, a.p_sell, a.win_rate, a.avg_pl, a.pf, coalesce(d.max_drawdown, 0), a.n
    FROM agg a LEFT JOIN dd d ON d.model_version = a.model_version
    ON CONFLICT (model_version, evaluation) DO UPDATE SET
      training_date = EXCLUDED.training_date, validation_samples_count = EXCLUDED.validation_samples_count,
      accuracy = EXCLUDED.accuracy, precision_buy = EXCLUDED.precision_buy, precision_sell = EXCLUDED.precision_sell,
      overall_win_rate = EXCLUDED.overall_win_rate, avg_profit_per_trade = EXCLUDED.avg_profit_per_trade,
      profit_factor = EXCLUDED.profit_factor, max_drawdown = EXCLUDED.max_drawdown, trades_count = EXCLUDED.trades_count;
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    v_n := v_n + v_rows;
  END LOOP;
  RETURN v_n;
END
$$;
REVOKE ALL ON FUNCTION sb_refresh_live_performance() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION sb_refresh_live_performance() TO service_role;
