-- Training's indicator statistics in ml_indicator_weights: importance_rank and weight_stability,
-- the plan's columns nothing wrote. They follow from the permutation importance each completed
-- training reports (ml_model_performance, evaluation 'test', feature_importance: an object of
-- indicator → cross-entropy increase when that indicator is shuffled, src/model/importance.ts,
-- written by src/model/training-record.ts writePerformance after the weights step). A trigger on
-- that report refreshes both columns in the same transaction, so every store writes them the same
-- way (Postgres, the embedded PGlite, and the REST store through sb_insert_performance).
--
-- importance_rank: 1 for the indicator whose shuffling hurt the latest training's model most, then
--   2, 3, ... (ties by name); NULL for an indicator the latest training did not report.
-- weight_stability, in [0, 1]: how much the trainings agree on the indicator's weight. For each of
--   the latest 10 trainings that reported importances,
--     share = max(0, importance) / mean over that training's indicators of max(0, importance)
--   (1 when that mean is 0): the target weight the training steps the indicator toward
--   (src/features/weights.ts stepWeightsTowardImportance). Then
--     weight_stability = 1 − min(1, stddev_samp(share) / mean(share))
--   over the trainings that reported the indicator (1 when its mean share is 0): 1 means every
--   training asked for the same weight, 0 that they disagree by its mean or more (a coefficient of
--   variation ≥ 1). NULL until two trainings reported it.
-- An analyst's edit of current_weight changes neither.

CREATE OR REPLACE FUNCTION sb_refresh_weight_stats()
RETURNS void
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  WITH runs AS (
    SELECT mp.feature_importance, row_number() OVER (ORDER BY mp.created_at DESC, mp.model_version DESC) AS n
    FROM ml_model_performance mp
    WHERE mp.evaluation = 'test' AND jsonb_typeof(mp.feature_importance) = 'object'
    ORDER BY mp.created_at DESC, mp.model_version DESC
    LIMIT 10
  ), imp AS (
    SELECT r.n, e.key AS name, (e.value::text)::float8 AS importance
    FROM runs r CROSS JOIN LATERAL jsonb_each(r.feature_importance) AS e
    WHERE jsonb_typeof(e.value) = 'number'
      AND EXISTS (SELECT 1 FROM ml_indicator_weights w WHERE w.indicator_name = e.key)
  ), shares AS (
    SELECT i.name,
      coalesce(greatest(i.importance, 0) / nullif(avg(greatest(i.importance, 0)) OVER (PARTITION BY i.n), 0), 1) AS share
    FROM imp i
  ), stability AS (
    SELECT s.name, count(*) AS runs, avg(s.share) AS mean, stddev_samp(s.share) AS sd
    FROM shares s GROUP BY s.name
  ), latest AS (
    SELECT i.name, row_number() OVER (ORDER BY i.importance DESC, i.name) AS rank
    FROM imp i WHERE i.n = 1
  )
  UPDATE ml_indicator_weights w
  SET importance_rank = l.rank,
      weight_stability = CASE
        WHEN coalesce(st.runs, 0) < 2 THEN NULL
        WHEN st.mean > 0 THEN 1 - least(1, st.sd / st.mean)
        ELSE 1
      END
  FROM ml_indicator_weights w2
  LEFT JOIN latest l ON l.name = w2.indicator_name
  LEFT JOIN stability st ON st.name = w2.indicator_name
  WHERE w.id = w2.id
$$;
REVOKE ALL ON FUNCTION sb_refresh_weight_stats() FROM PUBLIC;
DO $grants$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'service_role') THEN
    GRANT EXECUTE ON FUNCTION sb_refresh_weight_stats() TO service_role;
  END IF;
END
$grants$;

CREATE OR REPLACE FUNCTION sb_weight_stats_after_training()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  PERFORM sb_refresh_weight_stats();
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sb_weight_stats_after_training() FROM PUBLIC;

DROP TRIGGER IF EXISTS trigger_weight_stats_after_training ON ml_model_performance;
CREATE TRIGGER trigger_weight_stats_after_training
  AFTER INSERT OR UPDATE OF feature_importance ON ml_model_performance
  FOR EACH ROW
  WHEN (NEW.evaluation = 'test' AND NEW.feature_importance IS NOT NULL)
  EXECUTE FUNCTION sb_weight_stats_after_training();

-- The trainings already reported, on an existing database.
SELECT sb_refresh_weight_stats();
