-- Views for the common questions. On PostgreSQL 15+ they run with the caller's rights
-- (security_invoker), so RLS on the underlying tables applies to whoever reads them; the grants
-- migration lets each role read only the views whose rows it may see anyway.

CREATE OR REPLACE VIEW ml_active_model AS
SELECT
  m.model_version, m.model_type, m.model_status, m.activated_at, m.created_at,
  m.accuracy, m.f1_score, m.overall_win_rate, m.profit_factor, m.max_drawdown,
  m.sharpe_ratio, m.sortino_ratio, m.calmar_ratio, m.test_trades,
  m.training_samples_count, m.backend, m.seed, m.weights_sha256, m.feature_importance
FROM ml_models m
WHERE m.is_active;

-- The last 50 models with their own test report.
CREATE OR REPLACE VIEW ml_recent_training_runs AS
SELECT
  m.model_version, m.model_status, m.status_reason, m.is_active, m.created_at, m.activated_at,
  m.training_samples_count, m.validation_samples_count, m.training_duration_ms,
  p.accuracy, p.f1_score, p.overall_win_rate, p.profit_factor, p.max_drawdown,
  p.sharpe_ratio, p.sortino_ratio, p.calmar_ratio, p.trades_count, p.weight_changes
FROM ml_models m
LEFT JOIN ml_model_performance p ON p.model_version = m.model_version AND p.evaluation = 'test'
ORDER BY m.created_at DESC
LIMIT 50;

-- Trades that have not resolved yet: BUY / SELL signals without an outcome.
CREATE OR REPLACE VIEW ml_open_signals AS
SELECT
  p.id, p.symbol, p.timeframe, p.candle_time, p.model_version, p.predicted_direction,
  p.confidence_score, p.recommendation, p.entry_price, p.stop_loss, p.take_profit,
  p.prediction_timestamp, now() - p.candle_time AS age
FROM ml_predictions p
WHERE p.actual_outcome IS NULL AND p.predicted_direction <> 'HOLD'
ORDER BY p.candle_time, p.symbol;

DO $$
BEGIN
  IF current_setting('server_version_num')::integer >= 150000 THEN
    ALTER VIEW ml_active_model SET (security_invoker = true);
    ALTER VIEW ml_recent_training_runs SET (security_invoker = true);
    ALTER VIEW ml_open_signals SET (security_invoker = true);
  END IF;
END
$$;
