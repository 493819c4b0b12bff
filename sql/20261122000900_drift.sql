-- detect_model_drift agrees with the daemon's verdict (issue 6).
--
-- The daemon (src/drift) records, per check, which components drifted in
-- feature_drift_details->'drifted' (["data", "prediction", "performance"], in that order). The
-- earlier body named the component with the largest raw score, but the three scores are on
-- different scales (share of features, PSI, accuracy drop), so it could name a component the check
-- did not find drifted. drift_type now names the components the check decided drifted; records
-- written without that list (by hand, or by older code) keep the largest-score rule.
CREATE OR REPLACE FUNCTION detect_model_drift(
  p_model_version text,
  p_threshold double precision DEFAULT 0.1
)
RETURNS TABLE (
  drift_detected boolean,
  drift_score double precision,
  drift_type text,
  recommendations text[],
  checked_at timestamptz,
  check_status text
)
LANGUAGE plpgsql STABLE
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  r ml_model_drift%ROWTYPE;
  v_type text;
  v_recs text[] := ARRAY[]::text[];
BEGIN
  SELECT * INTO r
  FROM ml_model_drift d
  WHERE d.model_version = p_model_version
  ORDER BY d.drift_date DESC, d.created_at DESC
  LIMIT 1;

  IF NOT FOUND THEN
    RETURN QUERY SELECT false, NULL::double precision, 'No Drift Check'::text,
      ARRAY['No drift check is recorded for this model version: run signalbase drift check']::text[],
      NULL::timestamptz, 'no_record'::text;
    RETURN;
  END IF;

  IF r.drift_detected AND jsonb_typeof(r.feature_drift_details->'drifted') = 'array'
     AND jsonb_array_length(r.feature_drift_details->'drifted') > 0 THEN
    SELECT string_agg(initcap(k) || ' Drift', ' + ' ORDER BY ord) INTO v_type
    FROM jsonb_array_elements_text(r.feature_drift_details->'drifted') WITH ORDINALITY AS e(k, ord);
  ELSE
    SELECT c.name INTO v_type
    FROM (VALUES ('Data Drift', r.data_drift_score),
                 ('Prediction Drift', r.prediction_drift_score),
                 ('Performance Drift', r.performance_drift_score)) AS c(name, score)
    WHERE c.score IS NOT NULL
    ORDER BY c.score DESC
    LIMIT 1;
  END IF;

  IF r.drift_detected THEN
    v_recs := v_recs || CASE WHEN r.retraining_triggered
      THEN 'Retraining already requested'::text ELSE 'Retraining recommended'::text END;
  ELSE
    v_type := CASE r.status
      WHEN 'insufficient_data' THEN 'Insufficient Data'
      WHEN 'no_reference' THEN 'No Reference'
      ELSE 'No Significant Drift' END;
  END IF;
  IF r.data_drift_score > p_threshold THEN
    v_recs := v_recs || 'Check data quality: input feature distributions shifted'::text;
  END IF;
  IF r.prediction_drift_score > p_threshold THEN
    v_recs := v_recs || 'Prediction mix shifted: review recent signals'::text;
  END IF;
  IF r.performance_drift_score > p_threshold THEN
    v_recs := v_recs || 'Model performance degraded'::text;
  END IF;

  RETURN QUERY SELECT r.drift_detected, r.overall_drift_score, coalesce(v_type, 'Unknown'),
    v_recs, r.drift_date, r.status;
END;
$$;
