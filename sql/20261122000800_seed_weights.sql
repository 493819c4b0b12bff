-- The 17 indicators of src/features/columns.ts, each at weight 1.0 within [0.1, 2.0]. Training
-- moves them later (DESIGN.md "Indicators"); a re-run never resets a weight that moved.
INSERT INTO ml_indicator_weights (indicator_name, weight_category, current_weight, default_weight, min_weight, max_weight)
VALUES
  ('adx_value', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('rsi_value', 'momentum', 1.0, 1.0, 0.1, 2.0),
  ('ema_12', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('ema_21', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('ema_50', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('vwap', 'volume', 1.0, 1.0, 0.1, 2.0),
  ('atr_value', 'volatility', 1.0, 1.0, 0.1, 2.0),
  ('bollinger_upper', 'volatility', 1.0, 1.0, 0.1, 2.0),
  ('bollinger_lower', 'volatility', 1.0, 1.0, 0.1, 2.0),
  ('stoch_k', 'momentum', 1.0, 1.0, 0.1, 2.0),
  ('stoch_d', 'momentum', 1.0, 1.0, 0.1, 2.0),
  ('macd_line', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('macd_signal', 'trend', 1.0, 1.0, 0.1, 2.0),
  ('volume_ma', 'volume', 1.0, 1.0, 0.1, 2.0),
  ('price_change_pct', 'momentum', 1.0, 1.0, 0.1, 2.0),
  ('volatility', 'volatility', 1.0, 1.0, 0.1, 2.0),
  ('mfi_value', 'volume', 1.0, 1.0, 0.1, 2.0)
ON CONFLICT (indicator_name) DO NOTHING;
