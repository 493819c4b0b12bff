-- Keys hold their limits in the store (DESIGN.md "Access and integrity").
--
-- * Revocation is final: once revoked_at is set it stays set and the key stays inactive, whoever
--   updates the row; deactivating a key revokes it. Owners (authenticated) may rename and revoke
--   their keys, nothing else (no delete, which would erase the record of a revoked key).
-- * validate_ml_api_key refuses a key with revoked_at set, whatever is_active says; anon and
--   authenticated may not execute it (a key check is the daemon's, through the service role).
-- * A key created by an authenticated user has at most the self-service cap, read from
--   ml_settings ('self_service_max_rate_limit', written by `signalbase migrate` and the daemon from
--   SELF_SERVICE_MAX_RATE_LIMIT; 10000 until then).
-- * Hourly limits are counted here: one row per key and UTC hour, reserved atomically by
--   sb_reserve_key_usage, so a limit holds across instances and restarts.

CREATE TABLE IF NOT EXISTS ml_settings (
  name text PRIMARY KEY,
  value jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ml_settings (name, value) VALUES ('self_service_max_rate_limit', '10000'::jsonb)
  ON CONFLICT (name) DO NOTHING;

CREATE TABLE IF NOT EXISTS ml_api_key_usage (
  key_id uuid NOT NULL REFERENCES ml_api_keys (id) ON DELETE CASCADE,
  window_start timestamptz NOT NULL,
  used integer NOT NULL DEFAULT 0 CHECK (used >= 0),
  PRIMARY KEY (key_id, window_start)
);

DO $$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['ml_settings', 'ml_api_key_usage'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('REVOKE ALL ON TABLE %I FROM PUBLIC, anon, authenticated, service_role', t);
    EXECUTE format('GRANT ALL ON TABLE %I TO service_role', t);
    EXECUTE format('DROP POLICY IF EXISTS "service_role full access" ON %I', t);
    EXECUTE format('CREATE POLICY "service_role full access" ON %I FOR ALL TO service_role USING (true) WITH CHECK (true)', t);
  END LOOP;
END
$$;

-- Rows revoked before this migration keep is_active = false; make the record consistent.
UPDATE ml_api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE NOT is_active AND revoked_at IS NULL;
UPDATE ml_api_keys SET is_active = false WHERE revoked_at IS NOT NULL AND is_active;

CREATE OR REPLACE FUNCTION ml_api_keys_revocation_is_final()
RETURNS trigger
LANGUAGE plpgsql
SET search_path FROM CURRENT
AS $$
BEGIN
  -- Supabase grants UPDATE on every column to authenticated and leaves the rest to RLS; an owner
  -- still changes only the name and the revocation (usage columns move inside validate_ml_api_key,
  -- which runs as the table owner).
  IF current_user IN ('anon', 'authenticated') AND (
       NEW.id IS DISTINCT FROM OLD.id OR NEW.key_hash IS DISTINCT FROM OLD.key_hash
    OR NEW.key_prefix IS DISTINCT FROM OLD.key_prefix OR NEW.key_type IS DISTINCT FROM OLD.key_type
    OR NEW.rate_limit_per_hour IS DISTINCT FROM OLD.rate_limit_per_hour OR NEW.created_by IS DISTINCT FROM OLD.created_by
    OR NEW.created_at IS DISTINCT FROM OLD.created_at OR NEW.expires_at IS DISTINCT FROM OLD.expires_at
    OR NEW.last_used_at IS DISTINCT FROM OLD.last_used_at OR NEW.usage_count IS DISTINCT FROM OLD.usage_count) THEN
    RAISE EXCEPTION 'API key %: an owner may rename or revoke its key, nothing else', OLD.id USING ERRCODE = '42501';
  END IF;
  IF OLD.revoked_at IS NOT NULL THEN
    IF NEW.revoked_at IS DISTINCT FROM OLD.revoked_at OR NEW.is_active THEN
      RAISE EXCEPTION 'API key % is revoked; a revoked key cannot be re-activated: create a new key', OLD.id
        USING ERRCODE = '42501';
    END IF;
  ELSIF NOT OLD.is_active AND NEW.is_active THEN
    RAISE EXCEPTION 'API key % is inactive; keys are never re-activated: create a new key', OLD.id
      USING ERRCODE = '42501';
  END IF;
  IF NEW.revoked_at IS NOT NULL THEN
    NEW.is_active := false;
  ELSIF NOT NEW.is_active THEN
    NEW.revoked_at := now();
  END IF;
  RETURN NEW;
END;
$$;

DROP TRIGGER IF EXISTS ml_api_keys_revocation_is_final ON ml_api_keys;
CREATE TRIGGER ml_api_keys_revocation_is_final BEFORE UPDATE ON ml_api_keys
  FOR EACH ROW EXECUTE FUNCTION ml_api_keys_revocation_is_final();

-- Owners: rename and revoke. (UPDATE of is_active stays granted so `is_active = false` revokes;
-- the trigger refuses the way back.)
REVOKE UPDATE, DELETE ON TABLE ml_api_keys FROM authenticated;
GRANT UPDATE (key_name, is_active, revoked_at) ON TABLE ml_api_keys TO authenticated;
DROP POLICY IF EXISTS "authenticated deletes own keys" ON ml_api_keys;

CREATE OR REPLACE FUNCTION validate_ml_api_key(api_key_text text)
RETURNS TABLE (
  is_valid boolean,
  key_id uuid,
  key_name text,
  key_type text,
  rate_limit integer,
  usage_count bigint
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_hash text := encode(sha256(convert_to(coalesce(api_key_text, ''), 'UTF8')), 'hex');
  v_row ml_api_keys%ROWTYPE;
BEGIN
  -- Only what signalbase issues ('sb_' and 64 hex digits) can match; anything else costs no write.
  IF api_key_text IS NULL OR api_key_text !~ '^sb_[0-9a-f]{64}$' THEN
    RETURN QUERY SELECT false, NULL::uuid, NULL::text, NULL::text, NULL::integer, NULL::bigint;
    RETURN;
  END IF;
  UPDATE ml_api_keys k
  SET usage_count = k.usage_count + 1, last_used_at = now()
  WHERE k.key_hash = v_hash
    AND k.is_active
    AND k.revoked_at IS NULL
    AND (k.expires_at IS NULL OR k.expires_at > now())
  RETURNING k.* INTO v_row;

  IF FOUND THEN
    RETURN QUERY SELECT true, v_row.id, v_row.key_name, v_row.key_type, v_row.rate_limit_per_hour, v_row.usage_count;
  ELSE
    RETURN QUERY SELECT false, NULL::uuid, NULL::text, NULL::text, NULL::integer, NULL::bigint;
  END IF;
END;
$$;

CREATE OR REPLACE FUNCTION create_ml_api_key(
  p_key_name text,
  p_key_type text DEFAULT 'prediction',
  p_rate_limit integer DEFAULT 1000,
  p_expires_days integer DEFAULT NULL,
  p_created_by uuid DEFAULT NULL
)
RETURNS TABLE (
  id uuid,
  api_key text,
  key_prefix text,
  key_type text,
  rate_limit_per_hour integer,
  expires_at timestamptz,
  created_by uuid
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path FROM CURRENT
AS $$
#variable_conflict use_column
DECLARE
  v_key text := 'sb_' || encode(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()), 'hex');
  v_owner uuid := p_created_by;
  v_cap integer;
  v_row ml_api_keys%ROWTYPE;
BEGIN
  IF auth.role() = 'authenticated' THEN
    v_owner := auth.uid();
    IF v_owner IS NULL THEN
      RAISE EXCEPTION 'create_ml_api_key: an authenticated caller needs a sub claim' USING ERRCODE = '42501';
    END IF;
    IF p_key_type = 'admin' THEN
      RAISE EXCEPTION 'create_ml_api_key: only the service role can create admin keys' USING ERRCODE = '42501';
    END IF;
    SELECT (s.value #>> '{}')::integer INTO v_cap FROM ml_settings s WHERE s.name = 'self_service_max_rate_limit';
    v_cap := coalesce(v_cap, 10000);
    IF coalesce(p_rate_limit, 1000) > v_cap THEN
      RAISE EXCEPTION 'create_ml_api_key: a self-service key may allow at most % requests an hour (SELF_SERVICE_MAX_RATE_LIMIT), got %',
        v_cap, p_rate_limit USING ERRCODE = '22023';
    END IF;
  END IF;
  IF p_expires_days IS NOT NULL AND p_expires_days <= 0 THEN
    RAISE EXCEPTION 'create_ml_api_key: p_expires_days must be positive, got %', p_expires_days USING ERRCODE = '22023';
  END IF;

  INSERT INTO ml_api_keys (key_name, key_hash, key_prefix, key_type, rate_limit_per_hour, created_by, expires_at)
  VALUES (p_key_name, encode(sha256(convert_to(v_key, 'UTF8')), 'hex'), left(v_key, 7), p_key_type,
          coalesce(p_rate_limit, 1000), v_owner,
          CASE WHEN p_expires_days IS NULL THEN NULL ELSE now() + make_interval(days => p_expires_days) END)
  RETURNING * INTO v_row;

  RETURN QUERY SELECT v_row.id, v_key, v_row.key_prefix, v_row.key_type, v_row.rate_limit_per_hour,
    v_row.expires_at, v_row.created_by;
END;
$$;

-- Reserves up to p_want requests of key p_key_id's limit p_limit in the UTC hour holding
-- p_at_ms; returns how many were granted (0 when the hour is used up). The row lock makes two
-- instances' reservations add up exactly: together they never pass the limit.
CREATE OR REPLACE FUNCTION sb_reserve_key_usage(p_key_id uuid, p_at_ms double precision, p_want integer, p_limit integer)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path FROM CURRENT
AS $$
DECLARE
  v_window timestamptz := date_trunc('hour', timestamptz 'epoch' + p_at_ms * interval '1 millisecond');
  v_used integer;
  v_grant integer;
BEGIN
  INSERT INTO ml_api_key_usage (key_id, window_start, used) VALUES (p_key_id, v_window, 0)
    ON CONFLICT (key_id, window_start) DO NOTHING;
  SELECT u.used INTO v_used FROM ml_api_key_usage u
    WHERE u.key_id = p_key_id AND u.window_start = v_window FOR UPDATE;
  v_grant := greatest(0, least(p_want, p_limit - v_used));
  IF v_grant > 0 THEN
    UPDATE ml_api_key_usage u SET used = u.used + v_grant WHERE u.key_id = p_key_id AND u.window_start = v_window;
  END IF;
  RETURN v_grant;
END;
$$;

-- Writes a setting (the daemon and `signalbase migrate` keep ml_settings in step with the config).
CREATE OR REPLACE FUNCTION sb_put_setting(p_name text, p_value jsonb)
RETURNS void
LANGUAGE sql VOLATILE
SET search_path FROM CURRENT
AS $$
  INSERT INTO ml_settings (name, value, updated_at) VALUES (p_name, p_value, now())
  ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
$$;

DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION create_ml_api_key(text, text, integer, integer, uuid) SET search_path = %I, pg_temp', current_schema());
  EXECUTE format('ALTER FUNCTION validate_ml_api_key(text) SET search_path = %I, pg_temp', current_schema());
END
$$;
REVOKE ALL ON FUNCTION validate_ml_api_key(text) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION validate_ml_api_key(text) TO service_role;
REVOKE ALL ON FUNCTION sb_reserve_key_usage(uuid, double precision, integer, integer), sb_put_setting(text, jsonb),
  ml_api_keys_revocation_is_final() FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION sb_reserve_key_usage(uuid, double precision, integer, integer), sb_put_setting(text, jsonb) TO service_role;
