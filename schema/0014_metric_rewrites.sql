-- A metric's first import and large additions, without updating rows one by one.
--
-- First import: the rows are copied straight into the table that becomes the metric's partition
-- (causeway_outcomes_target), not into the session's batch and then again into the partition.
-- Its totals are grouped from that table, indexed before they are attached, and the metric's sums
-- are computed from them in one aggregation each (causeway_sum_metric) instead of through a table
-- of changes.
--
-- A large addition to a metric (at least 50,000 rows and a third of its units): the metric's totals
-- are written anew into a new table (the stored ones merged with the batch's), indexed, and swapped
-- in for the old partition; the metric's sums are computed again from them. Updating a million
-- totals in place took 3.6 s and finding their changes 1.8 s (psql, this project's machine kind).
-- The swap holds unit_totals exclusively only for the detach, drop, rename and attach of an
-- already indexed table: milliseconds at the end of the transaction.

-- The metric's sums and products computed from its totals in `totals` (a table of its rows of
-- unit_totals, attached or not); the metric's earlier sums and products are replaced. Each is one
-- aggregation read into arrays: a plain SELECT, which PostgreSQL may run in parallel (an INSERT …
-- SELECT never is); 1,000,000 totals against 3,000,000 assignments: 0.69 s instead of 1.25 s.
CREATE FUNCTION causeway_sum_metric(m text, totals regclass) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    -- Named apart from the tables' columns (PL/pgSQL would find them ambiguous).
    each_experiment bigint[];
    each_phase integer[];
    each_arm text[];
    each_other text[];
    each_units bigint[];
    each_total float8[];
    each_square float8[];
BEGIN
    DELETE FROM arm_metric_sums WHERE metric = m;
    DELETE FROM arm_metric_products WHERE metric = m OR other = m;
    EXECUTE format($q$
        SELECT array_agg(experiment_id), array_agg(phase), array_agg(arm), array_agg(units), array_agg(total), array_agg(squares)
        FROM (SELECT a.experiment_id, a.phase, a.arm, count(*) AS units, sum(t.value) AS total, sum(t.value * t.value) AS squares
              FROM %1$s t JOIN assignments a ON a.unit = t.unit
              GROUP BY 1, 2, 3) s $q$, totals)
    INTO each_experiment, each_phase, each_arm, each_units, each_total, each_square;
    INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
    SELECT e, p, a, m, n, s, q FROM unnest(each_experiment, each_phase, each_arm, each_units, each_total, each_square) AS x(e, p, a, n, s, q);
    IF EXISTS (SELECT 1 FROM metric_units WHERE metric <> m AND units > 0) THEN
        EXECUTE format($q$
            SELECT array_agg(experiment_id), array_agg(phase), array_agg(arm), array_agg(other), array_agg(product)
            FROM (SELECT a.experiment_id, a.phase, a.arm, o.metric AS other, sum(t.value * o.value) AS product
                  FROM %1$s t JOIN (SELECT * FROM unit_totals WHERE metric <> %2$L) o ON o.unit = t.unit
                  JOIN assignments a ON a.unit = t.unit
                  GROUP BY 1, 2, 3, 4) s $q$, totals, m)
        INTO each_experiment, each_phase, each_arm, each_other, each_total;
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        SELECT e, p, a, least(m, o), greatest(m, o), s FROM unnest(each_experiment, each_phase, each_arm, each_other, each_total) AS x(e, p, a, o, s);
    END IF;
END
$fn$;

-- The table an import of metric `m` copies its rows into: for a metric without rows, a new table
-- that causeway_add_fresh_outcomes(m) makes its partition; otherwise the session's batch table
-- (then causeway_add_outcomes()). The metric's row is locked: a second first import of the same
-- metric waits for the first and then finds its partition.
CREATE FUNCTION causeway_outcomes_target(m text) RETURNS text LANGUAGE plpgsql AS $fn$
DECLARE
    id integer;
BEGIN
    SELECT metrics.id INTO id FROM metrics WHERE name = m FOR UPDATE;
    IF id IS NULL THEN RAISE EXCEPTION 'metric "%" does not exist', m; END IF;
    IF to_regclass(format('outcomes_m%s', id)) IS NOT NULL THEN RETURN 'causeway_outcome_batch'; END IF;
    EXECUTE format('CREATE TABLE %1$I (LIKE outcomes INCLUDING DEFAULTS INCLUDING CONSTRAINTS); ALTER TABLE %1$I ADD CHECK (metric = %2$L)',
                   'outcomes_m' || id, m);
    RETURN 'outcomes_m' || id;
END
$fn$;

-- The metric's rows, loaded into its new table outcomes_m<id>, become its partition; its totals
-- are grouped from them into a new partition of unit_totals and its sums computed. Returns the
-- number of units with a total.
CREATE FUNCTION causeway_add_fresh_outcomes(m text) RETURNS bigint LANGUAGE plpgsql
SET work_mem = '256MB' SET maintenance_work_mem = '512MB' SET jit = off AS $fn$
DECLARE
    id integer;
    highest boolean;
    total_units bigint;
    rows_table text;
    totals text;
BEGIN
    SELECT metrics.id, metrics.kind = 'proportion' INTO id, highest FROM metrics WHERE name = m;
    rows_table := 'outcomes_m' || id;
    totals := 'unit_totals_m' || id;
    PERFORM causeway_lock_sums();
    EXECUTE format('ALTER TABLE outcomes ATTACH PARTITION %I FOR VALUES IN (%L)', rows_table, m);
    -- CREATE TABLE AS, not INSERT … SELECT: it may group in parallel and writes in bulk (0.8 s
    -- instead of 1.2 s for 1,000,000 units).
    EXECUTE format('CREATE TABLE %2$I WITH (fillfactor = 60) AS SELECT unit, %3$L::text AS metric, %4$s(value) AS value FROM %1$I GROUP BY unit',
                   rows_table, totals, m, CASE WHEN highest THEN 'max' ELSE 'sum' END);
    GET DIAGNOSTICS total_units = ROW_COUNT;
    EXECUTE format($q$
        ALTER TABLE %1$I ALTER unit SET NOT NULL, ALTER metric SET NOT NULL, ALTER value SET NOT NULL, ADD CHECK (metric = %2$L),
                         ADD PRIMARY KEY (unit, metric);
        ANALYZE %1$I;
        ANALYZE %3$I
        $q$, totals, m, rows_table);
    INSERT INTO metric_units (metric, units) VALUES (m, total_units)
    ON CONFLICT (metric) DO UPDATE SET units = excluded.units;
    PERFORM causeway_sum_metric(m, format('%I', totals)::regclass);
    -- Attached last, with its index built: the parent's index takes it over.
    EXECUTE format('ALTER TABLE unit_totals ATTACH PARTITION %I FOR VALUES IN (%L)', totals, m);
    RETURN total_units;
END
$fn$;

-- causeway_add_outcomes() gains two paths for a batch of one metric, before the ones it had
-- (0008's function, renamed, still serves every other batch): its first rows (the simulations'
-- writers still send them through the batch) and a large addition.
ALTER FUNCTION causeway_add_outcomes() RENAME TO causeway_add_changed_outcomes;

CREATE FUNCTION causeway_add_outcomes() RETURNS bigint LANGUAGE plpgsql
SET work_mem = '256MB' SET maintenance_work_mem = '512MB' SET jit = off AS $fn$
DECLARE
    batch_units bigint;
    batch_rows bigint;
    total_units bigint;
    m text;
    id integer;
    highest boolean;
BEGIN
    PERFORM causeway_lock_sums();
    IF (SELECT min(metric) = max(metric) FROM causeway_outcome_batch) THEN
        m := (SELECT metric FROM causeway_outcome_batch LIMIT 1);
        SELECT metrics.id, metrics.kind = 'proportion' INTO id, highest FROM metrics WHERE name = m;
    END IF;
    IF id IS NOT NULL AND to_regclass(format('outcomes_m%s', id)) IS NULL THEN
        PERFORM causeway_outcomes_target(m);
        EXECUTE format('INSERT INTO %I (unit, metric, value, ts, region) SELECT unit, metric, value, ts, region FROM causeway_outcome_batch',
                       'outcomes_m' || id);
        RETURN causeway_add_fresh_outcomes(m);
    END IF;
    batch_rows := (SELECT count(*) FROM causeway_outcome_batch);
    IF id IS NULL OR batch_rows < 50000
       OR batch_rows * 3 < coalesce((SELECT units FROM metric_units WHERE metric = m), 0) THEN
        RETURN causeway_add_changed_outcomes();
    END IF;

    ANALYZE causeway_outcome_batch;
    PERFORM causeway_metric_partitions(m);
    INSERT INTO outcomes (unit, metric, value, ts, region) SELECT unit, metric, value, ts, region FROM causeway_outcome_batch;
    -- The stored totals merged with the batch's into a new table, indexed, then swapped in.
    EXECUTE format($q$
        CREATE TABLE %1$I (LIKE unit_totals INCLUDING DEFAULTS) WITH (fillfactor = 60);
        ALTER TABLE %1$I ADD CHECK (metric = %2$L)
        $q$, 'causeway_new_totals_m' || id, m);
    EXECUTE format($q$
        WITH b AS MATERIALIZED (SELECT unit, %4$s(value) AS value FROM causeway_outcome_batch GROUP BY unit),
        merged AS (
            INSERT INTO %1$I (unit, metric, value)
            SELECT coalesce(t.unit, b.unit), %3$L,
                   CASE WHEN t.unit IS NULL THEN b.value WHEN b.unit IS NULL THEN t.value ELSE %5$s END
            FROM %2$I t FULL JOIN b ON b.unit = t.unit
            RETURNING 1)
        SELECT (SELECT count(*) FROM b), (SELECT count(*) FROM merged)
        $q$, 'causeway_new_totals_m' || id, 'unit_totals_m' || id, m,
        CASE WHEN highest THEN 'max' ELSE 'sum' END, CASE WHEN highest THEN 'greatest(t.value, b.value)' ELSE 't.value + b.value' END)
        INTO batch_units, total_units;
    EXECUTE format('ALTER TABLE %1$I ADD CONSTRAINT %2$I PRIMARY KEY (unit, metric); ANALYZE %1$I',
                   'causeway_new_totals_m' || id, 'causeway_new_totals_m' || id || '_pkey');
    INSERT INTO metric_units (metric, units) VALUES (m, total_units)
    ON CONFLICT (metric) DO UPDATE SET units = excluded.units;
    PERFORM causeway_sum_metric(m, format('%I', 'causeway_new_totals_m' || id)::regclass);
    EXECUTE format($q$
        ALTER TABLE unit_totals DETACH PARTITION %2$I;
        DROP TABLE %2$I;
        ALTER TABLE %1$I RENAME TO %2$I;
        ALTER TABLE %2$I RENAME CONSTRAINT %4$I TO %5$I;
        ALTER TABLE unit_totals ATTACH PARTITION %2$I FOR VALUES IN (%3$L)
        $q$, 'causeway_new_totals_m' || id, 'unit_totals_m' || id, m, 'causeway_new_totals_m' || id || '_pkey', 'unit_totals_m' || id || '_pkey');
    RETURN batch_units;
END
$fn$;
