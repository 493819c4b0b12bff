-- Compatibility with a Postgres that is not Supabase.
--
-- Supabase provides the roles anon / authenticated / service_role, the auth schema with
-- auth.uid(), auth.jwt() and auth.role(), and auth.users. The RLS policies and grants of the later
-- migrations name them, so on a plain Postgres (or embedded PGlite) this file creates each one
-- that is missing, with Supabase's definitions. On Supabase every object already exists and this
-- file changes nothing.
--
-- Roles are cluster-wide and the auth schema database-wide, while signalbase's tables live in one
-- schema per workflow: several migrations in different schemas of one database can run at once,
-- so this file serialises itself on a database-wide advisory lock (released at commit).
SELECT pg_advisory_xact_lock(hashtextextended('signalbase:compat', 0));

DO $compat$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['anon', 'authenticated', 'service_role'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        -- NOLOGIN: these roles are only ever switched to (SET ROLE), as PostgREST does.
        EXECUTE format('CREATE ROLE %I NOLOGIN NOINHERIT', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL; -- another database of this cluster created it a moment ago
      END;
    END IF;
  END LOOP;

  IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'auth') THEN
    CREATE SCHEMA auth;
    GRANT USAGE ON SCHEMA auth TO anon, authenticated, service_role;
  END IF;

  IF to_regclass('auth.users') IS NULL THEN
    -- The columns signalbase relies on (ml_api_keys.created_by references id); Supabase's own
    -- table has many more.
    CREATE TABLE auth.users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text UNIQUE,
      role text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    );
  END IF;

  -- Supabase's definitions: the claims come from the request.jwt.claims setting that PostgREST
  -- sets per request (older releases used one request.jwt.claim.<name> setting per claim).
  IF to_regprocedure('auth.uid()') IS NULL THEN
    CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $fn$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.sub', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
      )::uuid
    $fn$;
  END IF;

  IF to_regprocedure('auth.role()') IS NULL THEN
    CREATE FUNCTION auth.role() RETURNS text LANGUAGE sql STABLE AS $fn$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim.role', true), ''),
        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
      )::text
    $fn$;
  END IF;

  IF to_regprocedure('auth.jwt()') IS NULL THEN
    CREATE FUNCTION auth.jwt() RETURNS jsonb LANGUAGE sql STABLE AS $fn$
      SELECT coalesce(
        nullif(current_setting('request.jwt.claim', true), ''),
        nullif(current_setting('request.jwt.claims', true), '')
      )::jsonb
    $fn$;
  END IF;
END
$compat$;
