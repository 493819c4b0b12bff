-- signalbase's tables, in the schema the migration runner puts first on search_path
-- (SIGNALBASE_SCHEMA, default public). Names are unqualified on purpose.
--
-- Differences from the reference plan (DESIGN.md "Store schema"), each covered by a test:
-- * Prices, indicator values and every ratio are double precision. The plan's DECIMAL(5,4) and
--   DECIMAL(5,2) overflow on a Sharpe of 12.3 or a profit factor of 1500, and DECIMAL(15,5) rounds
--   a crypto price of 0.0000123 to 0.00001.
-- * processing_time_ms is a duration with a sanity check, never an epoch timestamp.
-- * API keys are stored as sha256 hashes with a short display prefix, never in plain text.
-- * ml_predictions carries what a Signal is (timeframe, candle_time, probabilities, entry, stop,
--   target, exit) with one row per (symbol, timeframe, candle_time, model_version).
-- * ml_training_samples has the 17th indicator (mfi_value) and points back at its prediction.

CREATE TABLE IF NOT EXISTS ml_schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ml_models (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_version text NOT NULL UNIQUE,
  model_type text NOT NULL DEFAULT 'LSTM',
  model_status text NOT NULL DEFAULT 'training'
    CHECK (model_status IN ('training', 'trained', 'active', 'rejected', 'failed', 'retired')),
  status_reason text,
  file_path text,
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  training_samples_count integer NOT NULL DEFAULT 0,
  validation_samples_count integer NOT NULL DEFAULT 0,
  -- Test-set report (DESIGN.md "Models"); ratios are unbounded.
  accuracy double precision,
  precision_buy double precision,
  precision_sell double precision,
  recall_buy double precision,
  recall_sell double precision,
  f1_score double precision,
  overall_win_rate double precision,
  avg_profit_per_trade double precision,
  profit_factor double precision,
  max_drawdown double precision,
  sharpe_ratio double precision,
  sortino_ratio double precision,
  calmar_ratio double precision,
  test_trades integer,
  feature_importance jsonb,
  training_duration_minutes double precision,
  training_duration_ms double precision CHECK (training_duration_ms IS NULL OR training_duration_ms >= 0),
  seed bigint,
  backend text,
  weights_sha256 text CHECK (weights_sha256 IS NULL OR weights_sha256 ~ '^[0-9a-f]{64}$'),
  is_active boolean NOT NULL DEFAULT false,
  activated_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- The registry's invariant: a model is active exactly when its status says so.
  CONSTRAINT ml_models_active_status CHECK (is_active = (model_status = 'active'))
);

CREATE TABLE IF NOT EXISTS ml_indicator_weights (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  indicator_name text NOT NULL UNIQUE,
  current_weight double precision NOT NULL DEFAULT 1.0,
  default_weight double precision NOT NULL DEFAULT 1.0,
  weight_category text NOT NULL,
  importance_rank integer,
  last_updated timestamptz NOT NULL DEFAULT now(),
  update_count integer NOT NULL DEFAULT 0,
  avg_performance_with_weight double precision,
  weight_stability double precision,
  min_weight double precision NOT NULL DEFAULT 0.1,
  max_weight double precision NOT NULL DEFAULT 2.0,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ml_indicator_weights_bounds CHECK (
    min_weight <= max_weight AND current_weight BETWEEN min_weight AND max_weight
  )
);

CREATE TABLE IF NOT EXISTS ml_training_samples (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  prediction_id uuid UNIQUE,
  symbol text NOT NULL,
  timeframe text,
  candle_time timestamptz,
  signal_type text NOT NULL CHECK (signal_type IN ('BUY', 'SELL', 'HOLD')),
  entry_price double precision NOT NULL,
  stop_loss double precision,
  take_profit double precision,
  exit_price double precision,
  profit_loss double precision,
  performance_score double precision,

  -- The 17 raw indicators (src/features/columns.ts), null while warming up.
  adx_value double precision,
  rsi_value double precision,
  ema_12 double precision,
  ema_21 double precision,
  ema_50 double precision,
  vwap double precision,
  atr_value double precision,
  bollinger_upper double precision,
  bollinger_lower double precision,
  stoch_k double precision,
  stoch_d double precision,
  macd_line double precision,
  macd_signal double precision,
  volume_ma double precision,
  price_change_pct double precision,
  volatility double precision,
  mfi_value double precision,

  market_session text,
  trend_direction text,
  volatility_regime text,

  model_version_used text,
  prediction_confidence double precision,
  actual_result text,

  status text NOT NULL DEFAULT 'PENDING'
    CHECK (status IN ('PENDING', 'TP_HIT', 'SL_HIT', 'EXPIRED', 'NO_TRADE')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),

  trade_duration_minutes double precision,
  max_profit double precision,
  max_loss double precision,
  risk_reward_ratio double precision
);

CREATE TABLE IF NOT EXISTS ml_model_performance (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_version text NOT NULL,
  -- 'test' for the model itself; 'baseline_hold' / 'baseline_rules' for its comparisons.
  evaluation text NOT NULL DEFAULT 'test',
  training_date timestamptz NOT NULL DEFAULT now(),
  training_samples_count integer NOT NULL,
  validation_samples_count integer NOT NULL,

  accuracy double precision NOT NULL,
  precision_buy double precision,
  precision_sell double precision,
  recall_buy double precision,
  recall_sell double precision,
  f1_score double precision,

  overall_win_rate double precision,
  avg_profit_per_trade double precision,
  profit_factor double precision,
  max_drawdown double precision,
  sharpe_ratio double precision,
  sortino_ratio double precision,
  calmar_ratio double precision,
  trades_count integer,

  previous_weights jsonb,
  new_weights jsonb,
  weight_changes jsonb,
  feature_importance jsonb,

  training_duration_minutes double precision,
  convergence_epoch integer,
  best_epoch integer,

  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ml_model_performance_once UNIQUE (model_version, evaluation)
);

CREATE TABLE IF NOT EXISTS ml_predictions (
  -- Chosen by the daemon, so subscribers and the store share the signal's id.
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- COLLATE "C": the stream order (candle_time, symbol, timeframe, model_version, id) is byte
  -- order, the same in every database and in src/signals/signal.ts compareCursors.
  model_version text COLLATE "C" NOT NULL,
  symbol text COLLATE "C" NOT NULL,
  timeframe text COLLATE "C" NOT NULL,
  candle_time timestamptz NOT NULL,
  prediction_type text NOT NULL DEFAULT 'SIGNAL' CHECK (prediction_type IN ('SIGNAL', 'API', 'BACKTEST')),

  input_features jsonb NOT NULL DEFAULT '{}'::jsonb,
  technical_indicators jsonb NOT NULL,
  market_conditions jsonb,

  predicted_direction text NOT NULL CHECK (predicted_direction IN ('BUY', 'SELL', 'HOLD')),
  confidence_score double precision NOT NULL CHECK (confidence_score BETWEEN 0 AND 1),
  probabilities jsonb,
  signal_weight double precision,
  recommendation text CHECK (recommendation IN ('STRONG_BUY', 'BUY', 'HOLD', 'SELL', 'STRONG_SELL')),
  position_multiplier double precision,

  entry_price double precision NOT NULL,
  stop_loss double precision,
  take_profit double precision,

  risk_assessment jsonb,
  risk_score double precision,

  prediction_timestamp timestamptz NOT NULL DEFAULT now(),
  -- A duration: how long computing the prediction took. The plan stored Date.now() here; a day is
  -- a generous ceiling that no epoch value passes.
  processing_time_ms double precision
    CHECK (processing_time_ms IS NULL OR (processing_time_ms >= 0 AND processing_time_ms < 86400000)),

  actual_outcome text CHECK (actual_outcome IN ('TP_HIT', 'SL_HIT', 'EXPIRED', 'NO_TRADE')),
  actual_profit_loss double precision,
  exit_price double precision,
  outcome_timestamp timestamptz,

  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT ml_predictions_one_per_candle UNIQUE (symbol, timeframe, candle_time, model_version)
);

CREATE TABLE IF NOT EXISTS ml_generation_logs (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  batch_id text NOT NULL UNIQUE,
  generation_time timestamptz NOT NULL DEFAULT now(),
  generation_strategy text NOT NULL,
  model_version text,

  symbols_count integer NOT NULL,
  signals_per_symbol integer DEFAULT 1,
  total_signals_generated integer NOT NULL,

  avg_confidence double precision,
  confidence_distribution jsonb,
  signal_distribution jsonb,

  processing_time_ms double precision CHECK (processing_time_ms IS NULL OR processing_time_ms >= 0),
  success_rate double precision,
  error_count integer NOT NULL DEFAULT 0,

  status text NOT NULL DEFAULT 'PENDING',
  error_details jsonb,

  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);

CREATE TABLE IF NOT EXISTS ml_model_drift (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  model_version text NOT NULL,
  drift_date timestamptz NOT NULL DEFAULT now(),

  data_drift_score double precision,
  prediction_drift_score double precision,
  performance_drift_score double precision,
  overall_drift_score double precision,

  feature_drift_details jsonb NOT NULL DEFAULT '{}'::jsonb,

  drift_detected boolean NOT NULL DEFAULT false,
  action_taken text,
  retraining_triggered boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'ok' CHECK (status IN ('ok', 'drift', 'insufficient_data', 'no_reference')),

  drift_threshold double precision DEFAULT 0.1,
  thresholds jsonb NOT NULL DEFAULT '{}'::jsonb,

  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ml_api_keys (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  key_name text NOT NULL,
  -- sha256 of the key, hex. The key itself is shown once by create_ml_api_key() and never stored.
  key_hash text NOT NULL UNIQUE CHECK (key_hash ~ '^[0-9a-f]{64}$'),
  -- The first characters of the key, so a holder can tell their keys apart; not enough to guess it.
  key_prefix text NOT NULL,
  key_type text NOT NULL DEFAULT 'prediction' CHECK (key_type IN ('stream', 'prediction', 'admin')),
  rate_limit_per_hour integer NOT NULL DEFAULT 1000 CHECK (rate_limit_per_hour > 0),
  is_active boolean NOT NULL DEFAULT true,
  created_by uuid REFERENCES auth.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  revoked_at timestamptz,
  last_used_at timestamptz,
  usage_count bigint NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS ml_candles (
  symbol text NOT NULL,
  timeframe text NOT NULL,
  open_time timestamptz NOT NULL,
  open double precision NOT NULL,
  high double precision NOT NULL,
  low double precision NOT NULL,
  close double precision NOT NULL,
  volume double precision NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (symbol, timeframe, open_time),
  CONSTRAINT ml_candles_sane CHECK (
    low > 0 AND low <= least(open, close) AND greatest(open, close) <= high AND volume >= 0
  )
);

-- One queue for every way a retrain is asked for (DESIGN.md "Scheduling"). An operator can insert
-- a row from the Supabase dashboard with just a reason: every other column has a default.
CREATE TABLE IF NOT EXISTS ml_retrain_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- First come, first served: filing order, since two requests can share a timestamp (PGlite's
  -- clock ticks in milliseconds).
  seq bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  source text NOT NULL DEFAULT 'operator' CHECK (source IN ('cron', 'cli', 'api', 'flag', 'drift', 'operator')),
  reason text,
  force boolean NOT NULL DEFAULT false,
  status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'RUNNING', 'DONE', 'FAILED', 'SKIPPED')),
  claimed_by text,
  model_version text,
  error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS ml_model_artifacts (
  model_version text NOT NULL REFERENCES ml_models (model_version) ON DELETE CASCADE,
  name text NOT NULL,
  content_type text NOT NULL DEFAULT 'application/octet-stream',
  bytes bytea NOT NULL,
  sha256 text NOT NULL,
  size_bytes integer GENERATED ALWAYS AS (octet_length(bytes)) STORED,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (model_version, name),
  -- A corrupt or truncated upload cannot be stored.
  CONSTRAINT ml_model_artifacts_checksum CHECK (sha256 = encode(sha256(bytes), 'hex'))
);
