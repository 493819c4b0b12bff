-- Realtime Broadcast of signals and outcomes (DESIGN.md "Store schema", Realtime): each new
-- signal (event 'signal') and each resolved outcome (event 'outcome') goes to the private topics
-- signals:<BASE>_<QUOTE> (LTC/BTC → signals:LTC_BTC) and signals:all through
-- realtime.broadcast_changes, so browsers subscribe to one channel instead of postgres_changes
-- checking RLS per row and per subscriber. RLS on realtime.messages decides who receives them:
-- `authenticated` always, `anon` only after
--   UPDATE ml_broadcast_settings SET anon_receives_signals = true;
-- The message payload is broadcast_changes' {record, old_record, operation, table, schema} with
-- table = 'ml_predictions' (not the month's partition the row lives in).
--
-- Compatibility: on a Postgres that is not Supabase there is no Realtime. A minimal `realtime`
-- schema is created then (only if realtime.broadcast_changes is missing): realtime.messages,
-- realtime.topic(), realtime.send() and realtime.broadcast_changes() with Supabase's signatures and
-- payload. Its send() keeps nothing unless the session sets signalbase.capture_broadcasts = 'on'
-- (the tests do), so the triggers cost an insert-free call there. A failing broadcast never fails
-- the insert or update that caused it (a WARNING instead), as Supabase's own send() does.

-- Test databases migrate many schemas at once: the database-wide objects below (the stub schema,
-- the policies on realtime.messages) are made under one advisory lock, released at commit.
SELECT pg_advisory_xact_lock(hashtextextended('signalbase:compat', 0));

DO $compat$
BEGIN
  IF to_regprocedure('realtime.broadcast_changes(text, text, text, text, text, record, record, text)') IS NOT NULL THEN
    RETURN;
  END IF;
  CREATE SCHEMA IF NOT EXISTS realtime;
  COMMENT ON SCHEMA realtime IS 'signalbase compatibility stub: Supabase Realtime is not installed here';
  CREATE TABLE IF NOT EXISTS realtime.messages (
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    topic text NOT NULL,
    extension text NOT NULL,
    payload jsonb,
    event text,
    private boolean DEFAULT false,
    inserted_at timestamp without time zone NOT NULL DEFAULT now(),
    updated_at timestamp without time zone NOT NULL DEFAULT now(),
    PRIMARY KEY (id, inserted_at)
  );
  ALTER TABLE realtime.messages ENABLE ROW LEVEL SECURITY;
  GRANT USAGE ON SCHEMA realtime TO anon, authenticated, service_role;
  GRANT SELECT ON realtime.messages TO anon, authenticated;
  GRANT ALL ON realtime.messages TO service_role;

  -- The topic a Realtime join is being authorised for (Realtime sets it before the RLS check).
  CREATE OR REPLACE FUNCTION realtime.topic() RETURNS text LANGUAGE sql STABLE
    AS $f$ SELECT nullif(current_setting('realtime.topic', true), '')::text $f$;
  GRANT EXECUTE ON FUNCTION realtime.topic() TO anon, authenticated, service_role;

  CREATE OR REPLACE FUNCTION realtime.send(payload jsonb, event text, topic text, private boolean DEFAULT true)
  RETURNS void LANGUAGE plpgsql
  AS $f$
  BEGIN
    IF coalesce(current_setting('signalbase.capture_broadcasts', true), '') <> 'on' THEN
      RETURN;
    END IF;
    INSERT INTO realtime.messages (payload, event, topic, private, extension) VALUES (payload, event, topic, private, 'broadcast');
  EXCEPTION WHEN OTHERS THEN
    RAISE WARNING 'ErrorSendingBroadcastMessage: %', SQLERRM;
  END
  $f$;

  CREATE OR REPLACE FUNCTION realtime.broadcast_changes(topic_name text, event_name text, operation text, table_name text,
    table_schema text, new record, old record, level text DEFAULT 'ROW')
  RETURNS void LANGUAGE plpgsql
  AS $f$
  BEGIN
    IF level = 'STATEMENT' THEN
      RAISE EXCEPTION 'function can only be triggered for each row, not for each statement';
    END IF;
    IF operation NOT IN ('INSERT', 'UPDATE', 'DELETE') THEN
      RAISE EXCEPTION 'Unexpected operation type: %', operation;
    END IF;
    PERFORM realtime.send(jsonb_build_object('old_record', old, 'record', new, 'operation', operation, 'table', table_name, 'schema', table_schema),
      event_name, topic_name);
  END
  $f$;
END
$compat$;

-- Whether `anon` (the publishable key alone) receives the broadcasts. One row.
CREATE TABLE IF NOT EXISTS ml_broadcast_settings (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  anon_receives_signals boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ml_broadcast_settings (id) VALUES (true) ON CONFLICT (id) DO NOTHING;
ALTER TABLE ml_broadcast_settings ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "service_role full access" ON ml_broadcast_settings;
CREATE POLICY "service_role full access" ON ml_broadcast_settings FOR ALL TO service_role USING (true) WITH CHECK (true);
DROP POLICY IF EXISTS "everyone reads the broadcast settings" ON ml_broadcast_settings;
CREATE POLICY "everyone reads the broadcast settings" ON ml_broadcast_settings FOR SELECT TO anon, authenticated USING (true);
GRANT SELECT ON ml_broadcast_settings TO anon, authenticated;
GRANT ALL ON ml_broadcast_settings TO service_role;

-- The topic of a symbol: signals:<BASE>_<QUOTE>.
CREATE OR REPLACE FUNCTION sb_signal_topic(p_symbol text)
RETURNS text
LANGUAGE sql IMMUTABLE
AS $$ SELECT 'signals:' || replace(p_symbol, '/', '_') $$;

-- SECURITY DEFINER: whoever inserts the signal (the daemon's role, service_role over REST) need
-- not be allowed to write realtime.messages itself.
CREATE OR REPLACE FUNCTION sb_broadcast_prediction()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
DECLARE
  v_event text;
BEGIN
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

DROP TRIGGER IF EXISTS trigger_broadcast_prediction ON ml_predictions;
CREATE TRIGGER trigger_broadcast_prediction
  AFTER INSERT OR UPDATE OF actual_outcome ON ml_predictions
  FOR EACH ROW EXECUTE FUNCTION sb_broadcast_prediction();

-- Who may join the private signal topics (and so receive their broadcasts). One pair of policies
-- per signalbase schema (the names carry it), all on the one realtime.messages; both read the
-- schema's ml_broadcast_settings, so dropping the schema drops its policies.
DO $policies$
DECLARE
  v_auth text := format('signalbase %s: authenticated receives signals', current_schema());
  v_anon text := format('signalbase %s: anon receives signals when allowed', current_schema());
BEGIN
  EXECUTE format('DROP POLICY IF EXISTS %I ON realtime.messages', v_auth);
  EXECUTE format('DROP POLICY IF EXISTS %I ON realtime.messages', v_anon);
  EXECUTE format($p$CREATE POLICY %I ON realtime.messages FOR SELECT TO authenticated
    USING (realtime.messages.extension = 'broadcast' AND realtime.topic() LIKE 'signals:%%'
           AND EXISTS (SELECT 1 FROM %I.ml_broadcast_settings s))$p$, v_auth, current_schema());
  EXECUTE format($p$CREATE POLICY %I ON realtime.messages FOR SELECT TO anon
    USING (realtime.messages.extension = 'broadcast' AND realtime.topic() LIKE 'signals:%%'
           AND EXISTS (SELECT 1 FROM %I.ml_broadcast_settings s WHERE s.anon_receives_signals))$p$, v_anon, current_schema());
END
$policies$;
