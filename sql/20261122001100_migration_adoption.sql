-- `signalbase migrate` and `supabase db push` on one database (README "Supabase").
--
-- The Supabase CLI records what it applied in supabase_migrations.schema_migrations (version = the
-- file's timestamp prefix, name, statements), not in ml_schema_migrations; the migration runner
-- adopts such files (src/store/migrate.ts) instead of running them again, and the REST store, which
-- cannot read the CLI's schema, asks sb_applied_migrations() for both records.

-- The runner creates this table before it applies anything; under the CLI it does not exist yet.
CREATE TABLE IF NOT EXISTS ml_schema_migrations (
  name text PRIMARY KEY,
  checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

-- Who applied a file: every row before this migration was written by the runner itself (it never
-- adopted before); adopted rows say 'supabase db push'.
ALTER TABLE ml_schema_migrations ADD COLUMN IF NOT EXISTS applied_by text NOT NULL DEFAULT 'signalbase migrate';

-- Supabase grants anon and authenticated every new table of public by default: the migration
-- history is nobody's business but the service's.
REVOKE ALL ON TABLE ml_schema_migrations FROM PUBLIC, anon, authenticated;
GRANT SELECT ON TABLE ml_schema_migrations TO service_role;

-- Every record of an applied migration: source 'signalbase' rows from ml_schema_migrations (name =
-- the file, with its checksum), source 'supabase_cli' rows from the CLI's table (name = the CLI's
-- name, no checksum: the CLI keeps none). The caller matches files to rows by version.
-- SECURITY DEFINER: service_role has no access to supabase_migrations on Supabase; the function
-- runs as the role that migrated (postgres there), reads only these two tables, and its search
-- path is pinned below.
CREATE FUNCTION sb_applied_migrations()
RETURNS TABLE (source text, version text, name text, checksum text, applied_by text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
AS $$
BEGIN
  RETURN QUERY
    SELECT 'signalbase'::text, substring(m.name FROM '^[0-9]+'), m.name, m.checksum, m.applied_by
    FROM ml_schema_migrations m;
  -- Absent on a Postgres the CLI never pushed to; dynamic so that this function exists there too.
  IF to_regclass('supabase_migrations.schema_migrations') IS NOT NULL THEN
    RETURN QUERY EXECUTE
      'SELECT ''supabase_cli''::text, c.version, coalesce(c.name, ''''), NULL::text, ''supabase db push''::text
       FROM supabase_migrations.schema_migrations c';
  END IF;
END;
$$;

REVOKE ALL ON FUNCTION sb_applied_migrations() FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION sb_applied_migrations() TO service_role;
DO $$
BEGIN
  EXECUTE format('ALTER FUNCTION sb_applied_migrations() SET search_path = %I, pg_temp', current_schema());
END
$$;
