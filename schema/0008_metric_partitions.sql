-- Outcomes and unit totals partitioned by metric.
--
-- A metric's first import is most of the data a store receives, and B-tree inserts of random text
-- keys were most of its cost (1,000,000 rows: 5.1 s into outcomes, 5.3 s into unit_totals, both
-- indexed). Partitioned by metric, a new metric's rows go into fresh tables without indexes, the
-- indexes are built once after the load (a sort, not a million descents), and the tables are then
-- attached. Rows added to an existing metric go into its partitions as before. Reports read one
-- metric at a time: each reads its partition. Citus distributes partitioned tables, partition by
-- partition.
--
-- Each metric has an integer id; its partitions are outcomes_m<id> and unit_totals_m<id>, so no
-- user text is ever part of a table name. The partition bound is the metric's name, quoted by
-- format('%L') on the server from a bound parameter.

ALTER TABLE metrics ADD COLUMN id integer GENERATED ALWAYS AS IDENTITY UNIQUE;

-- The metric's two partitions, made when missing (empty; for rows added one at a time or by a
-- user's own SQL). A first import of many rows makes them itself, loaded and indexed, instead.
CREATE FUNCTION causeway_metric_partitions(m text) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    id integer := (SELECT metrics.id FROM metrics WHERE name = m);
BEGIN
    IF id IS NULL THEN RAISE EXCEPTION 'metric "%" does not exist', m; END IF;
    IF to_regclass(format('outcomes_m%s', id)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF outcomes FOR VALUES IN (%L)', 'outcomes_m' || id, m);
    END IF;
    IF to_regclass(format('unit_totals_m%s', id)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF unit_totals FOR VALUES IN (%L) WITH (fillfactor = 60)', 'unit_totals_m' || id, m);
    END IF;
END
$fn$;

-- The tables again, partitioned, with the rows they held.
DROP INDEX outcomes_by_unit;
DROP INDEX outcomes_by_metric;
ALTER TABLE outcomes RENAME TO outcomes_unpartitioned;
CREATE TABLE outcomes (
    unit    text NOT NULL,
    metric  text NOT NULL,
    value   double precision NOT NULL CHECK (value = value),  -- rejects NaN
    ts      timestamptz,
    region  text,
    CONSTRAINT outcomes_value_finite CHECK (value <> 'Infinity' AND value <> '-Infinity')
) PARTITION BY LIST (metric);
CREATE INDEX outcomes_by_unit ON outcomes (unit, metric);

ALTER TABLE unit_totals RENAME TO unit_totals_unpartitioned;
ALTER TABLE unit_totals_unpartitioned RENAME CONSTRAINT unit_totals_pkey TO unit_totals_unpartitioned_pkey;
CREATE TABLE unit_totals (
    unit   text NOT NULL,
    metric text NOT NULL,
    value  double precision NOT NULL,
    PRIMARY KEY (unit, metric)
) PARTITION BY LIST (metric);

SELECT causeway_metric_partitions(name) FROM metrics WHERE kind <> 'ratio';
INSERT INTO outcomes SELECT unit, metric, value, ts, region FROM outcomes_unpartitioned;
INSERT INTO unit_totals SELECT unit, metric, value FROM unit_totals_unpartitioned;
DROP TABLE outcomes_unpartitioned;
DROP TABLE unit_totals_unpartitioned;

-- Inserts causeway_outcome_batch into outcomes and adds it to the totals and the sums of every
-- experiment its units are assigned in. Returns the number of (unit, metric) totals the batch
-- touched: its units, for one metric.
--
-- A batch of one metric that has no rows yet (its first import) takes the fast path: its rows and
-- totals go into new tables, indexed after the load and then attached as the metric's partitions;
-- the sums come from its totals directly (there are no earlier ones to take away).
CREATE OR REPLACE FUNCTION causeway_add_outcomes() RETURNS bigint LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    known boolean;
    batch_units bigint;
    m text;
    id integer;
    fresh boolean;
    nestloop text;
BEGIN
    ANALYZE causeway_outcome_batch;
    -- From here on, nothing else changes the sums until commit; each statement below takes a fresh
    -- snapshot (READ COMMITTED), so it sees every write committed before the lock was granted.
    PERFORM causeway_lock_sums();
    IF (SELECT min(metric) = max(metric) FROM causeway_outcome_batch) THEN
        m := (SELECT metric FROM causeway_outcome_batch LIMIT 1);
        id := (SELECT metrics.id FROM metrics WHERE name = m);
    END IF;
    fresh := id IS NOT NULL AND to_regclass(format('outcomes_m%s', id)) IS NULL;
    IF fresh THEN
        EXECUTE format($q$
            CREATE TABLE %1$I (LIKE outcomes INCLUDING DEFAULTS INCLUDING CONSTRAINTS);
            ALTER TABLE %1$I ADD CHECK (metric = %3$L);
            INSERT INTO %1$I (unit, metric, value, ts, region) SELECT unit, metric, value, ts, region FROM causeway_outcome_batch;
            ALTER TABLE outcomes ATTACH PARTITION %1$I FOR VALUES IN (%3$L);
            ANALYZE %1$I;
            CREATE TABLE %2$I (LIKE unit_totals INCLUDING DEFAULTS) WITH (fillfactor = 60);
            ALTER TABLE %2$I ADD CHECK (metric = %3$L);
            INSERT INTO %2$I (unit, metric, value)
            SELECT unit, %3$L, CASE WHEN (SELECT kind FROM metrics WHERE name = %3$L) = 'proportion' THEN max(value) ELSE sum(value) END
            FROM causeway_outcome_batch GROUP BY unit;
            ALTER TABLE unit_totals ATTACH PARTITION %2$I FOR VALUES IN (%3$L);
            ANALYZE %2$I;
            $q$, 'outcomes_m' || id, 'unit_totals_m' || id, m);
        EXECUTE format('SELECT count(*) FROM %I', 'unit_totals_m' || id) INTO batch_units;
        INSERT INTO metric_units (metric, units) VALUES (m, batch_units)
        ON CONFLICT (metric) DO UPDATE SET units = metric_units.units + excluded.units;
        -- Each assigned unit's new total adds to its arm's sums, and times each of its other totals
        -- to the products.
        PERFORM causeway_prepare_moved();
        EXECUTE format($q$
            INSERT INTO causeway_moved
            SELECT a.experiment_id, a.phase, a.arm, t.unit, t.metric, NULL, t.value, t.value
            FROM %I t JOIN assignments a ON a.unit = t.unit
            $q$, 'unit_totals_m' || id);
        PERFORM causeway_add_moved(m);
        RETURN batch_units;
    END IF;

    -- Rows added to metrics that have some: into their partitions (made when missing), then the
    -- changed totals and their differences. For a large batch every join below is a hash join: the
    -- planner, unsure how the batch's units match the stored ones, would otherwise look a million
    -- units up one by one (9 s where hashing takes 1 s).
    nestloop := current_setting('enable_nestloop');
    IF (SELECT count(*) FROM causeway_outcome_batch) >= 20000 THEN PERFORM set_config('enable_nestloop', 'off', true); END IF;
    PERFORM causeway_metric_partitions(metric) FROM (SELECT DISTINCT metric FROM causeway_outcome_batch) b;
    INSERT INTO outcomes (unit, metric, value, ts, region) SELECT unit, metric, value, ts, region FROM causeway_outcome_batch;
    known := EXISTS (SELECT 1 FROM metric_units WHERE units > 0 AND metric IN (SELECT DISTINCT metric FROM causeway_outcome_batch));
    -- The batch's totals against the stored ones. EXECUTE plans the statement for this batch
    -- (PL/pgSQL would keep one plan for every later batch); no CTE, so the planner sees the batch's
    -- statistics and hashes a large one (1,000,000 rows: 1 s) instead of looking each unit up (9 s).
    EXECUTE format($q$
        INSERT INTO causeway_changes
        SELECT b.unit, b.metric, t.value AS before,
               CASE WHEN t.value IS NULL THEN b.value WHEN b.highest THEN greatest(t.value, b.value) ELSE t.value + b.value END
        FROM (SELECT n.unit, n.metric, m.kind = 'proportion' AS highest,
                     CASE WHEN m.kind = 'proportion' THEN max(n.value) ELSE sum(n.value) END AS value
              FROM causeway_outcome_batch n JOIN metrics m ON m.name = n.metric
              GROUP BY n.unit, n.metric, m.kind) b
        LEFT JOIN (SELECT * FROM unit_totals WHERE %L::boolean AND %s) t ON t.unit = b.unit AND t.metric = b.metric
        $q$, known,
        -- One metric named as a constant: the planner reads only its partition.
        CASE WHEN m IS NOT NULL THEN format('metric = %L', m) ELSE 'metric IN (SELECT metric FROM causeway_outcome_batch)' END);
    GET DIAGNOSTICS batch_units = ROW_COUNT;
    -- A proportion's maximum may stay as it was: nothing to change for those.
    DELETE FROM causeway_changes WHERE before IS NOT DISTINCT FROM after;
    PERFORM causeway_apply_changes(m);
    PERFORM set_config('enable_nestloop', nestloop, true);
    RETURN batch_units;
END
$fn$;

-- Applies causeway_changes to unit_totals and metric_units, and to the arm sums of every experiment
-- the changed units are assigned in; `single` names the metric when all changes are of one.
CREATE FUNCTION causeway_apply_changes(single text) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
    ANALYZE causeway_changes;
    -- Under the lock nothing else writes unit_totals: plain UPDATE, DELETE and INSERT (an upsert
    -- costs twice as much per row).
    UPDATE unit_totals t SET value = c.after FROM causeway_changes c
    WHERE c.before IS NOT NULL AND c.after IS NOT NULL AND t.unit = c.unit AND t.metric = c.metric;
    DELETE FROM unit_totals t USING causeway_changes c WHERE c.after IS NULL AND t.unit = c.unit AND t.metric = c.metric;
    INSERT INTO unit_totals (unit, metric, value) SELECT unit, metric, after FROM causeway_changes WHERE before IS NULL ORDER BY unit, metric;
    INSERT INTO metric_units (metric, units)
    SELECT metric, sum((after IS NOT NULL)::int - (before IS NOT NULL)::int) FROM causeway_changes GROUP BY metric
    ON CONFLICT (metric) DO UPDATE SET units = metric_units.units + excluded.units;

    -- The changes of assigned units, with their arms.
    PERFORM causeway_prepare_moved();
    INSERT INTO causeway_moved
    SELECT a.experiment_id, a.phase, a.arm, c.unit, c.metric, c.before, c.after, coalesce(c.after, 0) - coalesce(c.before, 0)
    FROM causeway_changes c JOIN assignments a ON a.unit = c.unit;
    PERFORM causeway_add_moved(single);
END
$fn$;

-- The session's table of changed totals of assigned units, with their arms, emptied: a table
-- with statistics (a CTE has none, and the planner then looks units up one by one).
CREATE FUNCTION causeway_prepare_moved() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.causeway_moved') IS NULL THEN
        CREATE TEMP TABLE causeway_moved (experiment_id bigint, phase integer, arm text, unit text, metric text,
                                          before float8, after float8, change float8) ON COMMIT DELETE ROWS;
    END IF;
    TRUNCATE causeway_moved;
END
$fn$;

-- Adds causeway_moved to the arm sums and products; `single` names the metric when all changes are
-- of one.
CREATE FUNCTION causeway_add_moved(single text) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM causeway_moved) THEN RETURN; END IF;
    ANALYZE causeway_moved;
    INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
    SELECT experiment_id, phase, arm, metric, sum((after IS NOT NULL)::int - (before IS NOT NULL)::int), sum(change),
           sum(coalesce(after, 0) * coalesce(after, 0) - coalesce(before, 0) * coalesce(before, 0))
    FROM causeway_moved GROUP BY 1, 2, 3, 4
    ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
    SET units = arm_metric_sums.units + excluded.units, total = arm_metric_sums.total + excluded.total,
        squares = arm_metric_sums.squares + excluded.squares;
    -- Products: with one metric changed, each moves by the change times the other metric's total
    -- (the other partitions, named by a constant); with several, by after × after − before × before
    -- over every pair of the unit's totals.
    IF single IS NOT NULL THEN
        EXECUTE format($q$
            INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
            SELECT m.experiment_id, m.phase, m.arm, least(m.metric, t.metric), greatest(m.metric, t.metric), sum(m.change * t.value)
            FROM causeway_moved m JOIN (SELECT * FROM unit_totals WHERE metric <> %L) t ON t.unit = m.unit
            GROUP BY 1, 2, 3, 4, 5
            ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
            SET product = arm_metric_products.product + excluded.product
            $q$, single);
    ELSE
        WITH vectors AS MATERIALIZED (
            SELECT t.unit, t.metric, t.value AS after, c.unit IS NOT NULL AS changed,
                   CASE WHEN c.unit IS NULL THEN t.value ELSE coalesce(c.before, 0) END AS before
            FROM unit_totals t LEFT JOIN causeway_changes c ON c.unit = t.unit AND c.metric = t.metric
            WHERE t.unit IN (SELECT unit FROM causeway_moved)
            UNION ALL
            SELECT unit, metric, 0, true, before FROM causeway_changes WHERE after IS NULL)
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        SELECT a.experiment_id, a.phase, a.arm, p.metric, q.metric, sum(p.after * q.after - p.before * q.before)
        FROM vectors p JOIN vectors q ON q.unit = p.unit AND p.metric < q.metric AND (p.changed OR q.changed)
        JOIN assignments a ON a.unit = p.unit
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
        SET product = arm_metric_products.product + excluded.product;
    END IF;
END
$fn$;
DROP FUNCTION causeway_apply_changes();
