-- Supabase Realtime: stream signals, model changes, weight changes and drift reports. Only where
-- the publication exists (Supabase creates it); elsewhere this does nothing. A publication
-- FOR ALL TABLES already streams them and cannot take a table list.
DO $$
DECLARE
  t text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'supabase_realtime' AND NOT puballtables) THEN
    RETURN;
  END IF;
  FOREACH t IN ARRAY ARRAY['ml_predictions', 'ml_models', 'ml_indicator_weights', 'ml_model_drift'] LOOP
    IF NOT EXISTS (
      SELECT 1 FROM pg_publication_tables
      WHERE pubname = 'supabase_realtime' AND schemaname = current_schema() AND tablename = t
    ) THEN
      EXECUTE format('ALTER PUBLICATION supabase_realtime ADD TABLE %I.%I', current_schema(), t);
    END IF;
  END LOOP;
END
$$;
