-- Triggers: updated_at bookkeeping, weight bookkeeping, and a log line whenever the active model
-- changes.

CREATE OR REPLACE FUNCTION update_model_timestamp()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

-- The plan pointed ml_indicator_weights at update_model_timestamp(), which sets updated_at, a
-- column that table does not have, so every weight update failed. Weights keep last_updated and
-- count real changes of the weight.
CREATE OR REPLACE FUNCTION touch_indicator_weight()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  NEW.last_updated := now();
  IF NEW.current_weight IS DISTINCT FROM OLD.current_weight THEN
    NEW.update_count := OLD.update_count + 1;
  END IF;
  RETURN NEW;
END;
$$;

-- One ml_generation_logs row per activation or deactivation, naming the model. The batch id ends
-- in a random uuid: the plan's epoch suffix collided for two changes in one transaction.
CREATE OR REPLACE FUNCTION log_model_performance_change()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.is_active IS NOT DISTINCT FROM NEW.is_active THEN
    RETURN NEW;
  END IF;
  IF TG_OP = 'INSERT' AND NOT NEW.is_active THEN
    RETURN NEW;
  END IF;
  INSERT INTO ml_generation_logs (
    batch_id, generation_strategy, model_version, symbols_count, total_signals_generated, status, completed_at
  ) VALUES (
    'model_change_' || NEW.model_version || '_' || gen_random_uuid()::text,
    'MODEL_UPDATE', NEW.model_version, 0, 0,
    CASE WHEN NEW.is_active THEN 'ACTIVE' ELSE 'INACTIVE' END,
    now()
  );
  RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER trigger_update_model_timestamp
  BEFORE UPDATE ON ml_models
  FOR EACH ROW EXECUTE FUNCTION update_model_timestamp();

CREATE OR REPLACE TRIGGER trigger_update_training_samples_timestamp
  BEFORE UPDATE ON ml_training_samples
  FOR EACH ROW EXECUTE FUNCTION update_model_timestamp();

CREATE OR REPLACE TRIGGER trigger_update_retrain_requests_timestamp
  BEFORE UPDATE ON ml_retrain_requests
  FOR EACH ROW EXECUTE FUNCTION update_model_timestamp();

CREATE OR REPLACE TRIGGER trigger_update_weights_timestamp
  BEFORE UPDATE ON ml_indicator_weights
  FOR EACH ROW EXECUTE FUNCTION touch_indicator_weight();

CREATE OR REPLACE TRIGGER trigger_log_model_performance_change
  AFTER INSERT OR UPDATE OF is_active ON ml_models
  FOR EACH ROW EXECUTE FUNCTION log_model_performance_change();
