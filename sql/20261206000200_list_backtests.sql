-- The newest recorded backtests (ml_backtests, issue 16) for the dashboard's walk-forward panel
-- (GET /v1/backtests): the --json document beside its row's id and time, newest first. A store
-- function like the others, so SqlStore and the Supabase REST store read it the same way.
CREATE OR REPLACE FUNCTION sb_list_backtests(p_limit integer)
RETURNS TABLE (id uuid, kind text, feed text, seed bigint, result jsonb, duration_ms double precision, created_at timestamptz)
LANGUAGE sql STABLE
SET search_path FROM CURRENT
AS $$
  SELECT b.id, b.kind, b.feed, b.seed, b.result, b.duration_ms, b.created_at
  FROM ml_backtests b
  ORDER BY b.created_at DESC, b.id DESC
  LIMIT greatest(coalesce(p_limit, 1), 0)
$$;

REVOKE ALL ON FUNCTION sb_list_backtests(integer) FROM PUBLIC, anon, authenticated;
GRANT EXECUTE ON FUNCTION sb_list_backtests(integer) TO service_role;
