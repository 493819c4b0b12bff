-- The store's writes and non-trivial reads as SQL functions (issue 7): the Supabase REST store calls
-- them through PostgREST (POST /rest/v1/rpc/<name>), and SqlStore (embedded PGlite, server Postgres)
-- calls the same functions, so the logic exists once and runs identically in every adapter.
--
-- Conventions:
-- * batches are jsonb arrays of rows (jsonb_to_recordset), so a batch is one call; callers send each
--   natural key once per batch (src/store/queries dedupe, last occurrence wins);
-- * times cross the boundary as epoch milliseconds (double precision), turned into timestamptz
--   exactly: timestamptz 'epoch' + ms * interval '1 millisecond' (no float seconds);
-- * non-finite ratios (a profit factor with no loss) arrive as the JSON strings 'Infinity' / 'NaN',
--   which float8's input function reads;
-- * errors the caller branches on carry their own SQLSTATE: PT404 (PostgREST answers HTTP 404)
--   for a missing row, 22023 (invalid_parameter_value, HTTP 400) for a refused argument, 23505
--   (HTTP 409) for a duplicate; src/store/pg-errors.ts and src/store/supabase-errors.ts map them;
-- * SECURITY INVOKER: they run with the caller's privileges and RLS (service_role over REST, the
--   table owner for SqlStore); EXECUTE is granted to service_role only.

-- Leadership over REST: no advisory locks through PostgREST, so a lease row instead. Whoever holds
-- an unexpired lease for a name leads; the holder renews it, and another instance takes over once
-- it expires.
CREATE TABLE IF NOT EXISTS ml_leader_leases (
  name text PRIMARY KEY,
  holder text NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);

CREATE FUNCTION sb_ping()
RETURNS text
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$ SELECT current_setting('server_version') $$;

-- Candles ---------------------------------------------------------------------------------------

-- Inserts new candles and corrects stored ones whose values differ; returns how many rows were
-- inserted or changed (a replayed batch returns 0).
-- p_rows: [{symbol, timeframe, open_ms, open, high, low, close, volume}]
CREATE FUNCTION sb_upsert_candles(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_candles AS c (symbol, timeframe, open_time, open, high, low, close, volume)
    SELECT r.symbol, r.timeframe, timestamptz 'epoch' + r.open_ms * interval '1 millisecond',
           r.open, r.high, r.low, r.close, r.volume
    FROM jsonb_to_recordset(p_rows) AS r(symbol text, timeframe text, open_ms float8, open float8,
                                         high float8, low float8, close float8, volume float8)
    ON CONFLICT (symbol, timeframe, open_time) DO UPDATE
      SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close,
          volume = EXCLUDED.volume
      WHERE (c.open, c.high, c.low, c.close, c.volume)
        IS DISTINCT FROM (EXCLUDED.open, EXCLUDED.high, EXCLUDED.low, EXCLUDED.close, EXCLUDED.volume)
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

CREATE FUNCTION sb_prune_candles(p_before_ms double precision)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH d AS (
    DELETE FROM ml_candles WHERE open_time < timestamptz 'epoch' + p_before_ms * interval '1 millisecond'
    RETURNING 1
  )
  SELECT count(*)::integer FROM d
$$;

CREATE FUNCTION sb_list_candle_series()
RETURNS TABLE (symbol text, timeframe text, count integer, first timestamptz, last timestamptz)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT c.symbol, c.timeframe, count(*)::integer, min(c.open_time), max(c.open_time)
  FROM ml_candles c GROUP BY c.symbol, c.timeframe ORDER BY c.symbol, c.timeframe
$$;

-- Predictions -----------------------------------------------------------------------------------

-- Inserts signals; a row already stored (same id, or same symbol/timeframe/candle/model) is
-- skipped. Returns how many were inserted.
CREATE FUNCTION sb_insert_predictions(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_predictions (id, model_version, symbol, timeframe, candle_time, prediction_type,
      input_features, technical_indicators, market_conditions, predicted_direction, confidence_score,
      probabilities, signal_weight, recommendation, position_multiplier, entry_price, stop_loss,
      take_profit, risk_assessment, risk_score, prediction_timestamp, processing_time_ms,
      actual_outcome, actual_profit_loss, exit_price, outcome_timestamp)
    SELECT r.id, r.model_version, r.symbol, r.timeframe, timestamptz 'epoch' + r.candle_ms * interval '1 millisecond',
      r.prediction_type, r.input_features, r.technical_indicators, r.market_conditions, r.predicted_direction,
      r.confidence_score, r.probabilities, r.signal_weight, r.recommendation, r.position_multiplier,
      r.entry_price, r.stop_loss, r.take_profit, r.risk_assessment, r.risk_score,
      timestamptz 'epoch' + r.created_ms * interval '1 millisecond', r.processing_time_ms,
      r.actual_outcome, r.actual_profit_loss, r.exit_price,
      timestamptz 'epoch' + r.outcome_ms * interval '1 millisecond'
    FROM jsonb_to_recordset(p_rows) AS r(id uuid, model_version text, symbol text, timeframe text,
      candle_ms float8, prediction_type text, input_features jsonb, technical_indicators jsonb,
      market_conditions jsonb, predicted_direction text, confidence_score float8, probabilities jsonb,
      signal_weight float8, recommendation text, position_multiplier float8, entry_price float8,
      stop_loss float8, take_profit float8, risk_assessment jsonb, risk_score float8, created_ms float8,
      processing_time_ms float8, actual_outcome text, actual_profit_loss float8, exit_price float8,
      outcome_ms float8)
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

-- Records outcomes; only unresolved predictions change, so a replayed outcome changes nothing.
-- p_rows: [{id, outcome, exit_price, profit_loss, outcome_ms}]
CREATE FUNCTION sb_resolve_predictions(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    UPDATE ml_predictions p
    SET actual_outcome = u.outcome, exit_price = u.exit_price, actual_profit_loss = u.profit_loss,
        outcome_timestamp = timestamptz 'epoch' + u.outcome_ms * interval '1 millisecond'
    FROM jsonb_to_recordset(p_rows) AS u(id uuid, outcome text, exit_price float8, profit_loss float8, outcome_ms float8)
    WHERE p.id = u.id AND p.actual_outcome IS NULL
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

-- Signals in stream order (candle_time, symbol, timeframe, model_version, id).
-- p_query: {after?: {candle_ms, symbol, timeframe, model_version, id}, after_ms?, symbols?: [..],
--           open_only?: bool, limit?: int}; a missing limit means all rows.
-- Dynamic SQL so each call is planned with only its own conditions (the stream index serves the
-- cursor comparison; an "x IS NULL OR ..." form would defeat it).
CREATE FUNCTION sb_read_predictions(p_query jsonb)
RETURNS SETOF ml_predictions
LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_where text[] := ARRAY[]::text[];
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
  v_sql := 'SELECT * FROM ml_predictions'
    || CASE WHEN cardinality(v_where) > 0 THEN ' WHERE ' || array_to_string(v_where, ' AND ') ELSE '' END
    || ' ORDER BY candle_time, symbol, timeframe, model_version, id'
    || CASE WHEN p_query ->> 'limit' IS NOT NULL THEN format(' LIMIT %s', greatest(0, (p_query ->> 'limit')::integer)) ELSE '' END;
  RETURN QUERY EXECUTE v_sql;
END;
$$;

-- Training samples ------------------------------------------------------------------------------

-- One sample per resolved prediction (prediction_id is unique); returns how many were inserted.
-- p_rows: objects keyed by ml_training_samples' column names, with candle_ms for candle_time.
CREATE FUNCTION sb_insert_training_samples(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_training_samples (prediction_id, symbol, timeframe, candle_time, signal_type, entry_price,
      stop_loss, take_profit, exit_price, profit_loss, performance_score,
      adx_value, rsi_value, ema_12, ema_21, ema_50, vwap, atr_value, bollinger_upper, bollinger_lower,
      stoch_k, stoch_d, macd_line, macd_signal, volume_ma, price_change_pct, volatility, mfi_value,
      market_session, trend_direction, volatility_regime, model_version_used, prediction_confidence,
      actual_result, status, trade_duration_minutes, max_profit, max_loss, risk_reward_ratio)
    SELECT r.prediction_id, r.symbol, r.timeframe,
      timestamptz 'epoch' + (e.value ->> 'candle_ms')::float8 * interval '1 millisecond',
      r.signal_type, r.entry_price, r.stop_loss, r.take_profit, r.exit_price, r.profit_loss, r.performance_score,
      r.adx_value, r.rsi_value, r.ema_12, r.ema_21, r.ema_50, r.vwap, r.atr_value, r.bollinger_upper,
      r.bollinger_lower, r.stoch_k, r.stoch_d, r.macd_line, r.macd_signal, r.volume_ma, r.price_change_pct,
      r.volatility, r.mfi_value, r.market_session, r.trend_direction, r.volatility_regime, r.model_version_used,
      r.prediction_confidence, r.actual_result, r.status, r.trade_duration_minutes, r.max_profit, r.max_loss,
      r.risk_reward_ratio
    FROM jsonb_array_elements(p_rows) AS e(value),
         LATERAL jsonb_populate_record(NULL::ml_training_samples, e.value - 'candle_ms') AS r
    ON CONFLICT (prediction_id) DO NOTHING
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

CREATE FUNCTION sb_count_training_samples()
RETURNS integer
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$ SELECT count(*)::integer FROM ml_training_samples $$;

-- Models and artifacts --------------------------------------------------------------------------

-- p_model: {version, model_type?, metadata?, seed?, backend?}. A version that exists is refused
-- with 23505: model versions are unique and never overwritten.
CREATE FUNCTION sb_create_model(p_model jsonb)
RETURNS SETOF ml_models
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_row ml_models;
BEGIN
  INSERT INTO ml_models (model_version, model_type, metadata, seed, backend)
  VALUES (p_model ->> 'version', coalesce(p_model ->> 'model_type', 'LSTM'),
          coalesce(nullif(p_model -> 'metadata', 'null'::jsonb), '{}'::jsonb),
          (p_model ->> 'seed')::bigint, p_model ->> 'backend')
  ON CONFLICT (model_version) DO NOTHING
  RETURNING * INTO v_row;
  IF v_row.id IS NULL THEN
    RAISE EXCEPTION 'model % already exists; model versions are unique', p_model ->> 'version'
      USING ERRCODE = 'unique_violation';
  END IF;
  RETURN NEXT v_row;
END;
$$;

-- p_patch: only the keys present change: status, metadata, training_samples_count,
-- validation_samples_count, feature_importance, training_duration_ms, status_reason, backend,
-- weights_sha256, metrics (null clears them; else an object keyed by ml_models' metric columns).
-- An empty patch returns the row untouched (updated_at too).
CREATE FUNCTION sb_update_model(p_version text, p_patch jsonb)
RETURNS SETOF ml_models
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_row ml_models;
  m jsonb := p_patch -> 'metrics';
  has_m boolean := p_patch ? 'metrics';
BEGIN
  IF p_patch ->> 'status' = 'active' THEN
    RAISE EXCEPTION 'use activateModel to make % active: it retires the previous model atomically', p_version
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF p_patch = '{}'::jsonb THEN
    SELECT * INTO v_row FROM ml_models WHERE model_version = p_version;
  ELSE
    UPDATE ml_models SET
      model_status = CASE WHEN p_patch ? 'status' THEN p_patch ->> 'status' ELSE model_status END,
      metadata = CASE WHEN p_patch ? 'metadata' THEN p_patch -> 'metadata' ELSE metadata END,
      training_samples_count = CASE WHEN p_patch ? 'training_samples_count'
        THEN (p_patch ->> 'training_samples_count')::integer ELSE training_samples_count END,
      validation_samples_count = CASE WHEN p_patch ? 'validation_samples_count'
        THEN (p_patch ->> 'validation_samples_count')::integer ELSE validation_samples_count END,
      feature_importance = CASE WHEN p_patch ? 'feature_importance'
        THEN nullif(p_patch -> 'feature_importance', 'null'::jsonb) ELSE feature_importance END,
      training_duration_ms = CASE WHEN p_patch ? 'training_duration_ms'
        THEN (p_patch ->> 'training_duration_ms')::float8 ELSE training_duration_ms END,
      training_duration_minutes = CASE WHEN p_patch ? 'training_duration_ms'
        THEN (p_patch ->> 'training_duration_ms')::float8 / 60000 ELSE training_duration_minutes END,
      status_reason = CASE WHEN p_patch ? 'status_reason' THEN p_patch ->> 'status_reason' ELSE status_reason END,
      backend = CASE WHEN p_patch ? 'backend' THEN p_patch ->> 'backend' ELSE backend END,
      weights_sha256 = CASE WHEN p_patch ? 'weights_sha256' THEN p_patch ->> 'weights_sha256' ELSE weights_sha256 END,
      accuracy = CASE WHEN has_m THEN (m ->> 'accuracy')::float8 ELSE accuracy END,
      precision_buy = CASE WHEN has_m THEN (m ->> 'precision_buy')::float8 ELSE precision_buy END,
      precision_sell = CASE WHEN has_m THEN (m ->> 'precision_sell')::float8 ELSE precision_sell END,
      recall_buy = CASE WHEN has_m THEN (m ->> 'recall_buy')::float8 ELSE recall_buy END,
      recall_sell = CASE WHEN has_m THEN (m ->> 'recall_sell')::float8 ELSE recall_sell END,
      f1_score = CASE WHEN has_m THEN (m ->> 'f1_score')::float8 ELSE f1_score END,
      overall_win_rate = CASE WHEN has_m THEN (m ->> 'overall_win_rate')::float8 ELSE overall_win_rate END,
      avg_profit_per_trade = CASE WHEN has_m THEN (m ->> 'avg_profit_per_trade')::float8 ELSE avg_profit_per_trade END,
      profit_factor = CASE WHEN has_m THEN (m ->> 'profit_factor')::float8 ELSE profit_factor END,
      max_drawdown = CASE WHEN has_m THEN (m ->> 'max_drawdown')::float8 ELSE max_drawdown END,
      sharpe_ratio = CASE WHEN has_m THEN (m ->> 'sharpe_ratio')::float8 ELSE sharpe_ratio END,
      sortino_ratio = CASE WHEN has_m THEN (m ->> 'sortino_ratio')::float8 ELSE sortino_ratio END,
      calmar_ratio = CASE WHEN has_m THEN (m ->> 'calmar_ratio')::float8 ELSE calmar_ratio END,
      test_trades = CASE WHEN has_m THEN (m ->> 'test_trades')::integer ELSE test_trades END
    WHERE model_version = p_version
    RETURNING * INTO v_row;
  END IF;
  IF v_row.id IS NULL THEN
    RAISE EXCEPTION 'model % does not exist', p_version USING ERRCODE = 'PT404';
  END IF;
  RETURN NEXT v_row;
END;
$$;

-- Makes p_version the one active model; the previous one becomes 'retired'. Idempotent for the
-- model already active; a model still training or failed is refused.
CREATE FUNCTION sb_activate_model(p_version text)
RETURNS SETOF ml_models
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_row ml_models;
BEGIN
  -- Serialises concurrent activations so the second sees the first's result.
  PERFORM pg_advisory_xact_lock(hashtextextended('signalbase:activate:' || current_schema(), 0));
  SELECT * INTO v_row FROM ml_models WHERE model_version = p_version FOR UPDATE;
  IF v_row.id IS NULL THEN
    RAISE EXCEPTION 'model % does not exist', p_version USING ERRCODE = 'PT404';
  END IF;
  IF NOT v_row.is_active THEN
    IF v_row.model_status IN ('training', 'failed') THEN
      RAISE EXCEPTION 'model % is % and cannot be activated', p_version, v_row.model_status
        USING ERRCODE = 'invalid_parameter_value';
    END IF;
    UPDATE ml_models SET is_active = false, model_status = 'retired' WHERE is_active;
    UPDATE ml_models SET is_active = true, model_status = 'active', activated_at = now()
    WHERE model_version = p_version
    RETURNING * INTO v_row;
  END IF;
  RETURN NEXT v_row;
END;
$$;

-- p_rows: [{model_version, name, content_type, bytes_base64, sha256}]; a replay replaces the
-- artifact. The table's checksum constraint refuses bytes that do not match sha256.
CREATE FUNCTION sb_put_artifacts(p_rows jsonb)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_model_artifacts (model_version, name, content_type, bytes, sha256)
    SELECT r.model_version, r.name, coalesce(r.content_type, 'application/octet-stream'),
           decode(r.bytes_base64, 'base64'), r.sha256
    FROM jsonb_to_recordset(p_rows) AS r(model_version text, name text, content_type text, bytes_base64 text, sha256 text)
    ON CONFLICT (model_version, name) DO UPDATE
      SET content_type = EXCLUDED.content_type, bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256, created_at = now()
    RETURNING 1
  )
  SELECT count(*)::integer FROM w
$$;

-- The artifacts of one version, bytes as base64 (JSON has no bytes; PostgREST would send bytea as
-- hex text, twice the size).
CREATE FUNCTION sb_get_artifacts(p_version text)
RETURNS TABLE (model_version text, name text, content_type text, bytes_base64 text, sha256 text)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT a.model_version, a.name, a.content_type, translate(encode(a.bytes, 'base64'), E'\n', ''), a.sha256
  FROM ml_model_artifacts a WHERE a.model_version = p_version ORDER BY a.name
$$;

-- Weights and performance -----------------------------------------------------------------------

-- Sets current weights, each clamped into [min_weight, max_weight]. All or nothing: an unknown
-- indicator changes no row (22023). p_weights: {indicator_name: weight}. Returns rows changed.
CREATE FUNCTION sb_set_weights(p_weights jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_unknown text;
  v_count integer;
BEGIN
  SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown
  FROM jsonb_object_keys(p_weights) AS k
  WHERE NOT EXISTS (SELECT 1 FROM ml_indicator_weights w WHERE w.indicator_name = k);
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown indicator(s) %; known: %', v_unknown,
      (SELECT string_agg(indicator_name, ', ' ORDER BY indicator_name) FROM ml_indicator_weights)
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  UPDATE ml_indicator_weights w SET current_weight = least(greatest(u.value::float8, w.min_weight), w.max_weight)
  FROM jsonb_each_text(p_weights) AS u(key, value)
  WHERE w.indicator_name = u.key;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END;
$$;

-- One report per (model_version, evaluation); writing it again replaces it. p_row: keyed by
-- ml_model_performance's column names.
CREATE FUNCTION sb_insert_performance(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_model_performance AS t (model_version, evaluation, training_samples_count, validation_samples_count,
    accuracy, precision_buy, precision_sell, recall_buy, recall_sell, f1_score, overall_win_rate,
    avg_profit_per_trade, profit_factor, max_drawdown, sharpe_ratio, sortino_ratio, calmar_ratio, trades_count,
    previous_weights, new_weights, weight_changes, feature_importance, training_duration_minutes,
    convergence_epoch, best_epoch)
  SELECT r.model_version, coalesce(r.evaluation, 'test'), r.training_samples_count, r.validation_samples_count,
    r.accuracy, r.precision_buy, r.precision_sell, r.recall_buy, r.recall_sell, r.f1_score, r.overall_win_rate,
    r.avg_profit_per_trade, r.profit_factor, r.max_drawdown, r.sharpe_ratio, r.sortino_ratio, r.calmar_ratio,
    r.trades_count, r.previous_weights, r.new_weights, r.weight_changes, r.feature_importance,
    r.training_duration_minutes, r.convergence_epoch, r.best_epoch
  FROM jsonb_populate_record(NULL::ml_model_performance, p_row) AS r
  ON CONFLICT (model_version, evaluation) DO UPDATE SET
    training_samples_count = EXCLUDED.training_samples_count,
    validation_samples_count = EXCLUDED.validation_samples_count,
    accuracy = EXCLUDED.accuracy, precision_buy = EXCLUDED.precision_buy, precision_sell = EXCLUDED.precision_sell,
    recall_buy = EXCLUDED.recall_buy, recall_sell = EXCLUDED.recall_sell, f1_score = EXCLUDED.f1_score,
    overall_win_rate = EXCLUDED.overall_win_rate, avg_profit_per_trade = EXCLUDED.avg_profit_per_trade,
    profit_factor = EXCLUDED.profit_factor, max_drawdown = EXCLUDED.max_drawdown,
    sharpe_ratio = EXCLUDED.sharpe_ratio, sortino_ratio = EXCLUDED.sortino_ratio,
    calmar_ratio = EXCLUDED.calmar_ratio, trades_count = EXCLUDED.trades_count,
    previous_weights = EXCLUDED.previous_weights, new_weights = EXCLUDED.new_weights,
    weight_changes = EXCLUDED.weight_changes, feature_importance = EXCLUDED.feature_importance,
    training_duration_minutes = EXCLUDED.training_duration_minutes,
    convergence_epoch = EXCLUDED.convergence_epoch, best_epoch = EXCLUDED.best_epoch,
    training_date = now()
$$;

-- Drift -----------------------------------------------------------------------------------------

-- p_row: ml_model_drift's columns, with created_ms (the check's time; now() when absent). Returns the id.
CREATE FUNCTION sb_insert_drift(p_row jsonb)
RETURNS uuid
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_model_drift (model_version, data_drift_score, prediction_drift_score, performance_drift_score,
    overall_drift_score, feature_drift_details, drift_detected, action_taken, retraining_triggered,
    thresholds, drift_threshold, status, drift_date, created_at)
  SELECT r.model_version, r.data_drift_score, r.prediction_drift_score, r.performance_drift_score,
    r.overall_drift_score, coalesce(r.feature_drift_details, '{}'::jsonb), coalesce(r.drift_detected, false),
    r.action_taken, coalesce(r.retraining_triggered, false), coalesce(r.thresholds, '{}'::jsonb),
    coalesce(r.drift_threshold, 0.1), coalesce(r.status, 'ok'),
    coalesce(timestamptz 'epoch' + (p_row ->> 'created_ms')::float8 * interval '1 millisecond', now()),
    coalesce(timestamptz 'epoch' + (p_row ->> 'created_ms')::float8 * interval '1 millisecond', now())
  FROM jsonb_populate_record(NULL::ml_model_drift, p_row - 'created_ms') AS r
  RETURNING id
$$;

-- Retrain queue ---------------------------------------------------------------------------------

CREATE FUNCTION sb_enqueue_retrain(p_source text, p_reason text DEFAULT NULL, p_force boolean DEFAULT false)
RETURNS SETOF ml_retrain_requests
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_retrain_requests (source, reason, force) VALUES (p_source, p_reason, coalesce(p_force, false))
  RETURNING *
$$;

-- Claims the oldest PENDING request (filing order) for p_worker; SKIP LOCKED, so two claimers never
-- get the same request. No row when nothing is pending.
CREATE FUNCTION sb_claim_retrain(p_worker text)
RETURNS SETOF ml_retrain_requests
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  UPDATE ml_retrain_requests SET status = 'RUNNING', claimed_by = p_worker, started_at = now()
  WHERE id = (
    SELECT id FROM ml_retrain_requests WHERE status = 'PENDING'
    ORDER BY seq
    FOR UPDATE SKIP LOCKED
    LIMIT 1
  )
  RETURNING *
$$;

-- Ends a PENDING or RUNNING request; one already finished is returned as it is, so a repeated
-- finish (a retry after a lost reply) changes nothing. PT404 for an unknown id.
CREATE FUNCTION sb_finish_retrain(p_id uuid, p_status text, p_model_version text DEFAULT NULL, p_error text DEFAULT NULL)
RETURNS SETOF ml_retrain_requests
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_row ml_retrain_requests;
BEGIN
  UPDATE ml_retrain_requests SET status = p_status, model_version = p_model_version, error = p_error, finished_at = now()
  WHERE id = p_id AND status IN ('PENDING', 'RUNNING')
  RETURNING * INTO v_row;
  IF v_row.id IS NULL THEN
    SELECT * INTO v_row FROM ml_retrain_requests WHERE id = p_id;
  END IF;
  IF v_row.id IS NULL THEN
    RAISE EXCEPTION 'retrain request % does not exist', p_id USING ERRCODE = 'PT404';
  END IF;
  RETURN NEXT v_row;
END;
$$;

-- API keys and logs -----------------------------------------------------------------------------

-- True when an active key was revoked now; false for an unknown or already revoked one.
CREATE FUNCTION sb_revoke_api_key(p_id uuid)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (UPDATE ml_api_keys SET is_active = false, revoked_at = now() WHERE id = p_id AND is_active RETURNING 1)
  SELECT count(*) > 0 FROM w
$$;

-- Idempotent on batch_id. p_row: ml_generation_logs' columns, with completed_ms for completed_at.
CREATE FUNCTION sb_insert_generation_log(p_row jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_generation_logs (batch_id, generation_strategy, symbols_count, signals_per_symbol,
    total_signals_generated, avg_confidence, confidence_distribution, signal_distribution, processing_time_ms,
    success_rate, error_count, status, error_details, completed_at)
  SELECT r.batch_id, r.generation_strategy, r.symbols_count, coalesce(r.signals_per_symbol, 1),
    r.total_signals_generated, r.avg_confidence, r.confidence_distribution, r.signal_distribution,
    r.processing_time_ms, r.success_rate, coalesce(r.error_count, 0), r.status, r.error_details,
    timestamptz 'epoch' + (p_row ->> 'completed_ms')::float8 * interval '1 millisecond'
  FROM jsonb_populate_record(NULL::ml_generation_logs, p_row - 'completed_ms') AS r
  ON CONFLICT (batch_id) DO NOTHING
$$;

-- Leader leases ---------------------------------------------------------------------------------

-- Claims p_name for p_holder, or renews it when p_holder already holds it, for p_ttl_ms. True when
-- p_holder holds the lease afterwards; false while another holder's lease has not expired.
CREATE FUNCTION sb_try_lease(p_name text, p_holder text, p_ttl_ms integer)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH w AS (
    INSERT INTO ml_leader_leases AS l (name, holder, acquired_at, expires_at)
    VALUES (p_name, p_holder, now(), clock_timestamp() + p_ttl_ms * interval '1 millisecond')
    ON CONFLICT (name) DO UPDATE
      SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at,
          acquired_at = CASE WHEN l.holder = EXCLUDED.holder THEN l.acquired_at ELSE now() END
      WHERE l.holder = EXCLUDED.holder OR l.expires_at < clock_timestamp()
    RETURNING 1
  )
  SELECT count(*) > 0 FROM w
$$;

-- Gives the lease up (only its holder can). True when it was held by p_holder.
CREATE FUNCTION sb_release_lease(p_name text, p_holder text)
RETURNS boolean
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH d AS (DELETE FROM ml_leader_leases WHERE name = p_name AND holder = p_holder RETURNING 1)
  SELECT count(*) > 0 FROM d
$$;

-- Grants ----------------------------------------------------------------------------------------

DO $$
BEGIN
  EXECUTE 'ALTER TABLE ml_leader_leases ENABLE ROW LEVEL SECURITY';
  EXECUTE 'REVOKE ALL ON TABLE ml_leader_leases FROM PUBLIC, anon, authenticated, service_role';
  EXECUTE 'GRANT ALL ON TABLE ml_leader_leases TO service_role';
  EXECUTE 'CREATE POLICY "service_role full access" ON ml_leader_leases FOR ALL TO service_role USING (true) WITH CHECK (true)';
END
$$;

-- Only service_role executes them (PostgreSQL lets PUBLIC execute new functions; Supabase also
-- grants anon and authenticated on public's functions by default).
DO $$
DECLARE
  f text;
BEGIN
  FOREACH f IN ARRAY ARRAY[
    'sb_ping()', 'sb_upsert_candles(jsonb)', 'sb_prune_candles(double precision)', 'sb_list_candle_series()',
    'sb_insert_predictions(jsonb)', 'sb_resolve_predictions(jsonb)', 'sb_read_predictions(jsonb)',
    'sb_insert_training_samples(jsonb)', 'sb_count_training_samples()',
    'sb_create_model(jsonb)', 'sb_update_model(text, jsonb)', 'sb_activate_model(text)',
    'sb_put_artifacts(jsonb)', 'sb_get_artifacts(text)', 'sb_set_weights(jsonb)', 'sb_insert_performance(jsonb)',
    'sb_insert_drift(jsonb)', 'sb_enqueue_retrain(text, text, boolean)', 'sb_claim_retrain(text)',
    'sb_finish_retrain(uuid, text, text, text)', 'sb_revoke_api_key(uuid)', 'sb_insert_generation_log(jsonb)',
    'sb_try_lease(text, text, integer)', 'sb_release_lease(text, text)'
  ] LOOP
    EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC, anon, authenticated', f);
    EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO service_role', f);
  END LOOP;
END
$$;
