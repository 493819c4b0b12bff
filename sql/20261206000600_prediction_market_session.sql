-- Every signal carries its market session (DESIGN.md "Feeds": `sydney`, `tokyo`, `london`,
-- `new_york`, an overlap such as `london_new_york`, `closed` for forex, `24h` for crypto), as a
-- column analysts can filter on, like ml_training_samples.market_session.
--
-- Safe on an existing table: the column is added without a default (no table rewrite, no long
-- lock) and is filled on insert by a trigger from what the signal already writes
-- (market_conditions.session), so sb_insert_predictions, its callers and the Supabase REST store
-- are unchanged. Rows written before this migration keep the session in market_conditions.session;
-- readers fall back to it (store/queries/predictions.ts), so no backfill of old rows is needed.
-- A row trigger on the partitioned table is cloned onto every partition, present and future.
ALTER TABLE ml_predictions ADD COLUMN IF NOT EXISTS market_session text;

CREATE OR REPLACE FUNCTION sb_prediction_market_session()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  IF NEW.market_session IS NULL AND jsonb_typeof(NEW.market_conditions -> 'session') = 'string' THEN
    NEW.market_session := NEW.market_conditions ->> 'session';
  END IF;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS ml_predictions_market_session ON ml_predictions;
CREATE TRIGGER ml_predictions_market_session
  BEFORE INSERT ON ml_predictions
  FOR EACH ROW EXECUTE FUNCTION sb_prediction_market_session();

COMMENT ON COLUMN ml_predictions.market_session IS
  'Market session at the candle (sydney, tokyo, london, new_york, overlaps such as london_new_york, closed; 24h for crypto)';
