-- The reference plan's indexes (adapted to the columns signalbase keeps), plus the ones the store's
-- own queries need.

CREATE INDEX IF NOT EXISTS idx_ml_models_version_active ON ml_models (model_version, is_active);
CREATE INDEX IF NOT EXISTS idx_ml_models_status ON ml_models (model_status);
CREATE INDEX IF NOT EXISTS idx_ml_models_created_at ON ml_models (created_at DESC);
-- Exactly one active model: a second row with is_active = true violates this index.
CREATE UNIQUE INDEX IF NOT EXISTS ml_models_one_active ON ml_models ((true)) WHERE is_active;

CREATE INDEX IF NOT EXISTS idx_ml_weights_indicator ON ml_indicator_weights (indicator_name);
CREATE INDEX IF NOT EXISTS idx_ml_weights_category ON ml_indicator_weights (weight_category);
CREATE INDEX IF NOT EXISTS idx_ml_weights_updated ON ml_indicator_weights (last_updated DESC);

CREATE INDEX IF NOT EXISTS idx_ml_training_samples_symbol_created ON ml_training_samples (symbol, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_ml_training_samples_status ON ml_training_samples (status);
CREATE INDEX IF NOT EXISTS idx_ml_training_samples_performance ON ml_training_samples (performance_score DESC);
CREATE INDEX IF NOT EXISTS idx_ml_training_samples_model_version ON ml_training_samples (model_version_used);
CREATE INDEX IF NOT EXISTS idx_ml_training_composite
  ON ml_training_samples (symbol, status, created_at DESC, performance_score);
CREATE INDEX IF NOT EXISTS idx_ml_training_samples_candle ON ml_training_samples (symbol, timeframe, candle_time);

CREATE INDEX IF NOT EXISTS idx_ml_predictions_symbol_timestamp ON ml_predictions (symbol, prediction_timestamp DESC);
CREATE INDEX IF NOT EXISTS idx_ml_predictions_model_version ON ml_predictions (model_version);
CREATE INDEX IF NOT EXISTS idx_ml_predictions_confidence ON ml_predictions (confidence_score DESC);
CREATE INDEX IF NOT EXISTS idx_ml_predictions_outcome ON ml_predictions (actual_outcome) WHERE actual_outcome IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_ml_predictions_composite
  ON ml_predictions (model_version, symbol, prediction_timestamp DESC, confidence_score);
-- The websocket stream's replay order (DESIGN.md "Websocket stream": since, no gap, no duplicate).
CREATE INDEX IF NOT EXISTS idx_ml_predictions_stream
  ON ml_predictions (candle_time, symbol, timeframe, model_version, id);
-- The outcome tracker reloads unresolved signals after a restart.
CREATE INDEX IF NOT EXISTS idx_ml_predictions_open ON ml_predictions (candle_time) WHERE actual_outcome IS NULL;
CREATE INDEX IF NOT EXISTS idx_ml_predictions_outcome_time ON ml_predictions (outcome_timestamp)
  WHERE outcome_timestamp IS NOT NULL;

CREATE INDEX IF NOT EXISTS idx_ml_performance_model_date ON ml_model_performance (model_version, training_date DESC);
CREATE INDEX IF NOT EXISTS idx_ml_performance_accuracy ON ml_model_performance (accuracy DESC);

CREATE INDEX IF NOT EXISTS idx_ml_model_drift_version_date ON ml_model_drift (model_version, drift_date DESC);
CREATE INDEX IF NOT EXISTS idx_ml_generation_logs_time ON ml_generation_logs (generation_time DESC);
CREATE INDEX IF NOT EXISTS idx_ml_api_keys_created_by ON ml_api_keys (created_by);
CREATE INDEX IF NOT EXISTS idx_ml_retrain_pending ON ml_retrain_requests (seq) WHERE status = 'PENDING';
CREATE INDEX IF NOT EXISTS idx_ml_retrain_created ON ml_retrain_requests (created_at DESC);
