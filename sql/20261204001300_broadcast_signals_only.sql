-- Broadcast carries the signal record only (DESIGN.md "Access and integrity": a computation over a
-- caller's candles never reaches the stream, the tracker, the samples, statistics or Realtime signal
-- feeds). sql/20261204001100_broadcast.sql broadcast every inserted prediction, API rows included,
-- so forged candles posted to POST /v1/predict reached every subscriber of signals:<BASE>_<QUOTE>.
-- Same function, one guard first. A replace: safe on any database that has the broadcast migration.
-- (Numbered after it, outside trust's 000100..000190 range, because it must run after it.)

CREATE OR REPLACE FUNCTION sb_broadcast_prediction()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
  v_event text;
BEGIN
  -- The record of the market only: an API row is a caller's computation (its own answer, read by
  -- that caller through RLS), never a signal or an outcome on the shared topics.
  IF NEW.prediction_type IS DISTINCT FROM 'SIGNAL' THEN
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN
    v_event := CASE WHEN NEW.actual_outcome IS NULL THEN 'signal' ELSE 'outcome' END;
  ELSIF TG_OP = 'UPDATE' AND OLD.actual_outcome IS NULL AND NEW.actual_outcome IS NOT NULL THEN
    v_event := 'outcome';
  ELSE
    RETURN NULL;
  END IF;
  BEGIN
    PERFORM realtime.broadcast_changes(sb_signal_topic(NEW.symbol), v_event, TG_OP, 'ml_predictions', TG_TABLE_SCHEMA, NEW, OLD);
    PERFORM realtime.broadcast_changes('signals:all', v_event, TG_OP, 'ml_predictions', TG_TABLE_SCHEMA, NEW, OLD);
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'signalbase: broadcasting % % failed: %', v_event, NEW.id, SQLERRM;
  END;
  RETURN NULL;
END
$$;
REVOKE ALL ON FUNCTION sb_broadcast_prediction() FROM PUBLIC;
