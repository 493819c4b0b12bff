-- ml_predictions range-partitioned by month of candle_time (DESIGN.md "Store schema": retention
-- and monthly partitions keep it a size Supabase can hold). Old months are dropped whole by the
-- retention (sb_retention_step, next migration) instead of deleted row by row.
--
-- Safe on an existing table with rows, and generic over its columns: whatever columns earlier
-- migrations gave ml_predictions are carried over (CREATE TABLE ... (LIKE ...)), as are its check
-- constraints, defaults, indexes (by their names), unique and foreign-key constraints, triggers,
-- row-level security and its policies, grants, the views and functions built on its row type, and
-- its membership of publications. In one transaction, holding ACCESS EXCLUSIVE on the table while
-- the rows are copied (seconds per million rows).
--
-- The partition key has to be in every unique key: the primary key becomes (id, candle_time);
-- (symbol, timeframe, candle_time, model_version) already has it. A unique index that lacks
-- candle_time cannot exist on the partitioned table and is recreated as a plain index, with a
-- WARNING. Rows whose month has no partition yet land in ml_predictions_default; the retention
-- step moves them into a month of their own.
--
-- Already partitioned (a second run, or a database made by a newer version): nothing happens.
DO $migration$
DECLARE
  v_schema text := current_schema();
  v_old regclass := to_regclass('ml_predictions');
  v_kind "char";
  v_type oid;
  v_pk_cols text;
  v_cols text;
  v_overriding text := '';
  r record;
  v_stmts text[] := '{}';
  v_after text[] := '{}';
  v_sql text;
  m timestamptz;
BEGIN
  IF v_old IS NULL THEN
    RAISE EXCEPTION 'ml_predictions does not exist in schema %: run the earlier migrations first', v_schema;
  END IF;
  SELECT c.relkind, c.reltype INTO v_kind, v_type FROM pg_class c WHERE c.oid = v_old;
  IF v_kind = 'p' THEN
    RETURN;
  END IF;
  IF (SELECT current_setting('server_version_num')::int) < 140000 THEN
    RAISE EXCEPTION 'partitioning ml_predictions needs Postgres 14 or newer';
  END IF;
  LOCK TABLE ml_predictions IN ACCESS EXCLUSIVE MODE;

  IF EXISTS (SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = v_old) THEN
    RAISE EXCEPTION 'a foreign key references ml_predictions; it must reference (id, candle_time) once the table is partitioned: drop it first';
  END IF;

  -- 1. What to rebuild, captured while every definition still names ml_predictions.
  --    Views on the table (and views on those views), deepest last so they are recreated in order.
  CREATE TEMP TABLE sb_part_views ON COMMIT DROP AS
  WITH RECURSIVE deps(oid, depth) AS (
    SELECT DISTINCT rw.ev_class, 1
    FROM pg_depend d JOIN pg_rewrite rw ON rw.oid = d.objid
    WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = v_old AND rw.ev_class <> v_old
    UNION
    SELECT rw.ev_class, deps.depth + 1
    FROM deps JOIN pg_depend d ON d.refobjid = deps.oid AND d.classid = 'pg_rewrite'::regclass
    JOIN pg_rewrite rw ON rw.oid = d.objid
    WHERE rw.ev_class <> deps.oid AND deps.depth < 20
  )
  SELECT c.oid, format('%I.%I', n.nspname, c.relname) AS name, max(deps.depth) AS depth,
         c.relkind, pg_get_viewdef(c.oid) AS def, c.reloptions, c.relacl, c.relowner,
         obj_description(c.oid, 'pg_class') AS comment
  FROM deps JOIN pg_class c ON c.oid = deps.oid JOIN pg_namespace n ON n.oid = c.relnamespace
  GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reloptions, c.relacl, c.relowner;
  IF EXISTS (SELECT 1 FROM sb_part_views WHERE relkind <> 'v') THEN
    RAISE EXCEPTION 'a materialized view depends on ml_predictions: drop it before this migration';
  END IF;

  --    Functions taking or returning its row type (a function merely querying the table is bound
  --    by name at run time and needs nothing).
  CREATE TEMP TABLE sb_part_funcs ON COMMIT DROP AS
  SELECT p.oid, p.oid::regprocedure::text AS sig, pg_get_functiondef(p.oid) AS def, p.proacl,
         obj_description(p.oid, 'pg_proc') AS comment
  FROM pg_proc p
  WHERE p.prorettype = v_type OR v_type = ANY (p.proargtypes) OR v_type = ANY (coalesce(p.proallargtypes, '{}'));

  --    Indexes that no constraint owns, triggers, policies.
  FOR r IN
    SELECT i.indexrelid, pg_get_indexdef(i.indexrelid) AS def, i.indisunique,
           (SELECT a.attnum FROM pg_attribute a WHERE a.attrelid = v_old AND a.attname = 'candle_time') = ANY (i.indkey) AS has_key
    FROM pg_index i
    WHERE i.indrelid = v_old AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.conrelid = v_old)
  LOOP
    v_sql := r.def;
    IF r.indisunique AND NOT r.has_key THEN
      RAISE WARNING 'unique index % lacks candle_time, the partition key; recreated as a plain index', r.indexrelid::regclass;
      v_sql := regexp_replace(v_sql, '^CREATE UNIQUE INDEX', 'CREATE INDEX');
    END IF;
    v_after := v_after || v_sql;
  END LOOP;
  FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def, contype FROM pg_constraint WHERE conrelid = v_old AND contype IN ('u', 'f', 'x') ORDER BY contype DESC, conname LOOP
    v_after := v_after || format('ALTER TABLE ml_predictions ADD CONSTRAINT %I %s', r.conname, r.def);
  END LOOP;
  FOR r IN SELECT pg_get_triggerdef(t.oid) AS def FROM pg_trigger t WHERE t.tgrelid = v_old AND NOT t.tgisinternal LOOP
    v_after := v_after || r.def;
  END LOOP;
  FOR r IN SELECT * FROM pg_policies WHERE schemaname = v_schema AND tablename = 'ml_predictions' LOOP
    v_after := v_after || format('CREATE POLICY %I ON ml_predictions AS %s FOR %s TO %s%s%s', r.policyname, r.permissive, r.cmd,
      (SELECT string_agg(CASE WHEN x = 'public' THEN 'PUBLIC' ELSE quote_ident(x) END, ', ') FROM unnest(r.roles) x),
      CASE WHEN r.qual IS NOT NULL THEN format(' USING (%s)', r.qual) ELSE '' END,
      CASE WHEN r.with_check IS NOT NULL THEN format(' WITH CHECK (%s)', r.with_check) ELSE '' END);
  END LOOP;
  FOR r IN SELECT (aclexplode(c.relacl)).* FROM pg_class c WHERE c.oid = v_old LOOP
    CONTINUE WHEN r.grantee = (SELECT relowner FROM pg_class WHERE oid = v_old);
    v_after := v_after || format('GRANT %s ON TABLE ml_predictions TO %s', r.privilege_type,
      CASE WHEN r.grantee = 0 THEN 'PUBLIC' ELSE r.grantee::regrole::text END);
  END LOOP;
  IF (SELECT relrowsecurity FROM pg_class WHERE oid = v_old) THEN
    v_after := v_after || 'ALTER TABLE ml_predictions ENABLE ROW LEVEL SECURITY'::text;
  END IF;
  IF (SELECT relforcerowsecurity FROM pg_class WHERE oid = v_old) THEN
    v_after := v_after || 'ALTER TABLE ml_predictions FORCE ROW LEVEL SECURITY'::text;
  END IF;
  IF obj_description(v_old, 'pg_class') IS NOT NULL THEN
    v_after := v_after || format('COMMENT ON TABLE ml_predictions IS %L', obj_description(v_old, 'pg_class'));
  END IF;
  FOR r IN SELECT pt.pubname FROM pg_publication_tables pt JOIN pg_publication p ON p.pubname = pt.pubname
           WHERE pt.schemaname = v_schema AND pt.tablename = 'ml_predictions' AND NOT p.puballtables LOOP
    -- Changes of a partition are published as the parent's (Supabase Realtime filters on the table
    -- name subscribers asked for: ml_predictions, not ml_predictions_p202612).
    v_after := v_after || format('ALTER PUBLICATION %I SET (publish_via_partition_root = true)', r.pubname)
                       || format('ALTER PUBLICATION %I ADD TABLE ml_predictions', r.pubname);
  END LOOP;

  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY k.ord) INTO v_pk_cols
  FROM pg_constraint c, unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
  JOIN pg_attribute a ON a.attrelid = v_old AND a.attnum = k.attnum
  WHERE c.conrelid = v_old AND c.contype = 'p';
  v_pk_cols := coalesce(v_pk_cols, 'id');
  IF v_pk_cols !~ '(^|, )candle_time(,|$)' THEN
    v_pk_cols := v_pk_cols || ', candle_time';
  END IF;

  SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
         CASE WHEN bool_or(a.attidentity = 'a') THEN ' OVERRIDING SYSTEM VALUE' ELSE '' END
    INTO v_cols, v_overriding
  FROM pg_attribute a WHERE a.attrelid = v_old AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '';

  -- 2. Out of the way: dependants dropped, the old table and its index names renamed.
  FOR r IN SELECT name FROM sb_part_views ORDER BY depth DESC LOOP
    EXECUTE format('DROP VIEW %s', r.name);
  END LOOP;
  FOR r IN SELECT sig FROM sb_part_funcs LOOP
    EXECUTE format('DROP FUNCTION %s', r.sig);
  END LOOP;
  FOR r IN SELECT c.relname, c.oid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = v_old LOOP
    EXECUTE format('ALTER INDEX %I RENAME TO %I', r.relname, 'sb_unpartitioned_' || r.oid);
  END LOOP;
  ALTER TABLE ml_predictions RENAME TO ml_predictions_unpartitioned;

  -- 3. The partitioned table: the same columns, defaults, NOT NULLs, checks (their names are the
  --    table's own), identity and generated columns, storage and column comments. Renaming an
  --    index renamed the constraint it backs, so the unique constraints' names are free again.
  EXECUTE 'CREATE TABLE ml_predictions (LIKE ml_predictions_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING GENERATED'
       || ' INCLUDING IDENTITY INCLUDING STORAGE INCLUDING COMMENTS INCLUDING COMPRESSION INCLUDING STATISTICS)'
       || ' PARTITION BY RANGE (candle_time)';
  EXECUTE format('ALTER TABLE ml_predictions ADD CONSTRAINT ml_predictions_pkey PRIMARY KEY (%s)', v_pk_cols);
  CREATE TABLE ml_predictions_default PARTITION OF ml_predictions DEFAULT;
  -- A month for every month that has rows, and for this one and the next.
  FOR m IN
    SELECT DISTINCT date_trunc('month', candle_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' FROM ml_predictions_unpartitioned
    UNION SELECT date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
    UNION SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC'
  LOOP
    EXECUTE format('CREATE TABLE %I PARTITION OF ml_predictions FOR VALUES FROM (%L) TO (%L)',
      'ml_predictions_p' || to_char(m AT TIME ZONE 'UTC', 'YYYYMM'), m, (m AT TIME ZONE 'UTC' + interval '1 month') AT TIME ZONE 'UTC');
  END LOOP;

  -- 4. The rows, then everything captured in step 1.
  EXECUTE format('INSERT INTO ml_predictions (%s)%s SELECT %s FROM ml_predictions_unpartitioned', v_cols, v_overriding, v_cols);
  FOREACH v_sql IN ARRAY v_after LOOP
    EXECUTE v_sql;
  END LOOP;
  FOR r IN SELECT * FROM sb_part_funcs LOOP
    EXECUTE r.def;
    IF r.proacl IS NOT NULL THEN
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', r.sig);
      FOR v_sql IN SELECT format('GRANT EXECUTE ON FUNCTION %s TO %s', r.sig, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)
                   FROM aclexplode(r.proacl) a WHERE a.privilege_type = 'EXECUTE' LOOP
        EXECUTE v_sql;
      END LOOP;
    END IF;
    IF r.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON FUNCTION %s IS %L', r.sig, r.comment);
    END IF;
  END LOOP;
  FOR r IN SELECT * FROM sb_part_views ORDER BY depth LOOP
    EXECUTE format('CREATE VIEW %s%s AS %s', r.name,
      CASE WHEN r.reloptions IS NOT NULL THEN format(' WITH (%s)', array_to_string(r.reloptions, ', ')) ELSE '' END, r.def);
    FOR v_sql IN SELECT format('GRANT %s ON TABLE %s TO %s', a.privilege_type, r.name, CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE a.grantee::regrole::text END)
                 FROM aclexplode(r.relacl) a WHERE a.grantee <> r.relowner LOOP
      EXECUTE v_sql;
    END LOOP;
    IF r.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON VIEW %s IS %L', r.name, r.comment);
    END IF;
  END LOOP;

  DROP TABLE ml_predictions_unpartitioned;
END
$migration$;
