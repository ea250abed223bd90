SELECT json_build_object(
  'lockstep_stats', 1,
  'server', json_build_object('product', 'postgresql', 'version', current_setting('server_version')),
  'tables', COALESCE((
    SELECT json_agg(json_build_object(
      'schema', n.nspname,
      'name', c.relname,
      'rows', CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint
                   ELSE (SELECT s.n_live_tup FROM pg_stat_user_tables s WHERE s.relid = c.oid) END,
      'heap_bytes', pg_relation_size(c.oid),
      'index_bytes', pg_indexes_size(c.oid),
      'toast_bytes', COALESCE(pg_total_relation_size(NULLIF(c.reltoastrelid, 0)), 0),
      'partitions', COALESCE((
        SELECT json_agg(json_build_object('schema', pn.nspname, 'name', pc.relname)
                        ORDER BY pn.nspname, pc.relname)
        FROM pg_inherits i
        JOIN pg_class pc ON pc.oid = i.inhrelid
        JOIN pg_namespace pn ON pn.oid = pc.relnamespace
        WHERE i.inhparent = c.oid), '[]'),
      'indexes', COALESCE((
        SELECT json_agg(json_build_object(
                 'name', ic.relname,
                 'bytes', pg_relation_size(ic.oid),
                 'columns', (SELECT json_agg(pg_get_indexdef(x.indexrelid, k, true) ORDER BY k)
                             FROM generate_series(1, x.indnkeyatts) k))
               ORDER BY ic.relname)
        FROM pg_index x
        JOIN pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indrelid = c.oid), '[]'))
      ORDER BY n.nspname, c.relname)
    FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'm')
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp_)'), '[]')
)::text;
