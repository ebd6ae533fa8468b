-- Sufficient statistics for lift reports, kept up to date by triggers.
--
-- `report lift` needs, per experiment, phase and arm: the number of units and, for every metric and
-- pair of metrics, Σ total, Σ total² and Σ total × other over the units' totals (a unit's total is the
-- sum of its outcome rows, the maximum for proportions; a unit without rows counts 0). Computing
-- them by joining assignments to outcomes scales with the experiment (about a minute at 10 million
-- units on two cores); keeping them as rows arrive makes the report read a few dozen rows.
--
-- The triggers below keep these tables equal to a recomputation from the rows (up to float
-- rounding) whatever writes: COPY, INSERT, UPDATE, DELETE or TRUNCATE of outcomes, assignments and
-- arm_weights, from the console, a script or psql.
-- * Each statement's contribution is summed in float8, as an aggregate over the rows would be, and
--   added to numeric columns, so that millions of small updates (one assignment at a time) do not
--   drift.
-- * One transaction-level advisory lock serializes the maintenance. A volatile PL/pgSQL function
--   takes a fresh snapshot for each statement, so once the lock is held each trigger sees every
--   assignment and outcome committed before it: an assignment and an import of the same unit cannot
--   miss each other. This relies on READ COMMITTED, the isolation Causeway uses.
-- * causeway_rebuild_lift_sums() recomputes everything from outcomes and assignments (used below to
--   fill the tables from existing rows; the tests compare it with the maintained values).

-- A unit's total per metric: the sum of its outcome rows (the maximum for proportions). Pages are
-- left 40% free so that a later import's new totals are written in place (HOT: no index entry);
-- measured on 1 M units, a second import of the same metric took 16.8 s instead of 23.0 s.
CREATE TABLE unit_totals (
    unit   text NOT NULL,
    metric text NOT NULL,
    value  double precision NOT NULL,
    PRIMARY KEY (unit, metric)
) WITH (fillfactor = 60);

-- Units with a total, per metric (the "outcomes but not assigned" check subtracts the assigned ones).
CREATE TABLE metric_units (
    metric text PRIMARY KEY,
    units  bigint NOT NULL
);

-- Assigned units per experiment, phase, arm (NULL: held out) and weight segment: the valid_from of
-- the arm_weights row in force when the unit was assigned (NULL: none), for the SRM check.
CREATE TABLE arm_units (
    experiment_id bigint NOT NULL,
    phase         integer NOT NULL,
    arm           text,
    segment       timestamptz,
    units         bigint NOT NULL,
    UNIQUE NULLS NOT DISTINCT (experiment_id, phase, arm, segment)
);

-- Per experiment, phase, arm (NULL: held out) and metric: assigned units with a total, Σ total, Σ total².
CREATE TABLE arm_metric_sums (
    experiment_id bigint NOT NULL,
    phase         integer NOT NULL,
    arm           text,
    metric        text NOT NULL,
    units         bigint NOT NULL,
    total         numeric NOT NULL,
    squares       numeric NOT NULL,
    UNIQUE NULLS NOT DISTINCT (experiment_id, phase, arm, metric)
);

-- Per experiment, phase, arm and pair of metrics (metric < other): Σ total(metric) × total(other).
CREATE TABLE arm_metric_products (
    experiment_id bigint NOT NULL,
    phase         integer NOT NULL,
    arm           text,
    metric        text NOT NULL,
    other         text NOT NULL CHECK (metric < other),
    product       numeric NOT NULL,
    UNIQUE NULLS NOT DISTINCT (experiment_id, phase, arm, metric, other)
);

-- Infinite values would make the sums undefined; imports already refuse them.
ALTER TABLE outcomes ADD CONSTRAINT outcomes_value_finite CHECK (value <> 'Infinity' AND value <> '-Infinity');

-- The one lock every change to the sums takes (transaction-level; its key is arbitrary, fixed).
CREATE FUNCTION causeway_lock_sums() RETURNS void LANGUAGE sql AS $fn$
    SELECT pg_advisory_xact_lock(-3957051140213772261);
$fn$;

-- The weight segment of a unit assigned at `at`: the valid_from of the arm_weights row then in
-- force (NULL: none), which the SRM check compares its counts with.
CREATE FUNCTION causeway_weight_segment(e bigint, p integer, at timestamptz) RETURNS timestamptz LANGUAGE sql STABLE AS $fn$
    SELECT max(valid_from) FROM arm_weights WHERE experiment_id = e AND phase = p AND valid_from <= at;
$fn$;

-- Where every trigger that changes sums begins: the lock, then the working tables, private to the
-- session. Each step is its own statement over a temporary table that has just been analyzed, so
-- the planner knows whether a change touches ten units (index lookups) or ten million (hash joins).
CREATE FUNCTION causeway_begin_upkeep() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    IF to_regclass('pg_temp.causeway_changes') IS NULL THEN
        -- Units and metrics whose outcome rows were updated or deleted.
        CREATE TEMP TABLE causeway_touched (unit text, metric text) ON COMMIT DELETE ROWS;
        -- Changed totals (NULL: no total).
        CREATE TEMP TABLE causeway_changes (unit text, metric text, before float8, after float8) ON COMMIT DELETE ROWS;
        -- Assignment rows to add to (sign 1) or take from (sign -1) their arms' sums.
        CREATE TEMP TABLE causeway_assigned
            (unit text, experiment_id bigint, phase integer, arm text, assigned_at timestamptz, sign integer) ON COMMIT DELETE ROWS;
    END IF;
    -- Emptied at each commit; within a transaction, by DELETE while small (TRUNCATE makes new
    -- files: a millisecond per one-row statement), by TRUNCATE when large.
    IF pg_relation_size('causeway_touched') + pg_relation_size('causeway_changes') + pg_relation_size('causeway_assigned')
       > 8 * 1024 * 1024 THEN
        TRUNCATE causeway_touched, causeway_changes, causeway_assigned;
    ELSE
        DELETE FROM causeway_touched;
        DELETE FROM causeway_changes;
        DELETE FROM causeway_assigned;
    END IF;
END
$fn$;

-- Applies causeway_changes to unit_totals and metric_units, and to the arm sums of every experiment
-- the changed units are assigned in.
CREATE FUNCTION causeway_apply_changes() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    pairs text;
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

    IF NOT EXISTS (SELECT 1 FROM assignments a JOIN causeway_changes c ON c.unit = a.unit) THEN RETURN; END IF;
    -- One pass for each arm's own sums and its products: with one metric changed (an import) a
    -- product with another metric moves by the change times that metric's total, which unit_totals
    -- holds; with several, by after × after − before × before over every pair of the unit's totals.
    IF (SELECT count(DISTINCT metric) FROM causeway_changes) = 1 THEN
        pairs := $q$
            SELECT m.experiment_id, m.phase, m.arm, least(m.metric, t.metric), greatest(m.metric, t.metric), sum(m.change * t.value)
            FROM moved m JOIN unit_totals t ON t.unit = m.unit AND t.metric <> m.metric
            GROUP BY 1, 2, 3, 4, 5 $q$;
    ELSE
        pairs := $q$
            WITH vectors AS MATERIALIZED (
                SELECT t.unit, t.metric, t.value AS after, c.unit IS NOT NULL AS changed,
                       CASE WHEN c.unit IS NULL THEN t.value ELSE coalesce(c.before, 0) END AS before
                FROM unit_totals t LEFT JOIN causeway_changes c ON c.unit = t.unit AND c.metric = t.metric
                WHERE t.unit IN (SELECT unit FROM moved)
                UNION ALL
                SELECT unit, metric, 0, true, before FROM causeway_changes WHERE after IS NULL)
            SELECT a.experiment_id, a.phase, a.arm, p.metric, q.metric, sum(p.after * q.after - p.before * q.before)
            FROM vectors p JOIN vectors q ON q.unit = p.unit AND p.metric < q.metric AND (p.changed OR q.changed)
            JOIN assignments a ON a.unit = p.unit
            GROUP BY 1, 2, 3, 4, 5 $q$;
    END IF;
    EXECUTE format($q$
        WITH moved AS MATERIALIZED (
            SELECT a.experiment_id, a.phase, a.arm, c.unit, c.metric, c.before, c.after,
                   coalesce(c.after, 0) - coalesce(c.before, 0) AS change
            FROM causeway_changes c JOIN assignments a ON a.unit = c.unit),
        own AS (
            INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
            SELECT experiment_id, phase, arm, metric, sum((after IS NOT NULL)::int - (before IS NOT NULL)::int), sum(change),
                   sum(coalesce(after, 0) * coalesce(after, 0) - coalesce(before, 0) * coalesce(before, 0))
            FROM moved GROUP BY 1, 2, 3, 4
            ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
            SET units = arm_metric_sums.units + excluded.units, total = arm_metric_sums.total + excluded.total,
                squares = arm_metric_sums.squares + excluded.squares)
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        %s
        ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
        SET product = arm_metric_products.product + excluded.product
        $q$, pairs);
END
$fn$;

-- Outcome rows in: inserted rows add to the totals; updated or deleted ones have their units'
-- totals recomputed from the rows left.
CREATE FUNCTION causeway_outcomes_changed() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    known boolean;
BEGIN
    PERFORM causeway_begin_upkeep();
    IF TG_OP = 'INSERT' THEN
        -- A metric's first import has no earlier totals to read: skip the join (a fifth of its time).
        known := EXISTS (SELECT 1 FROM metric_units WHERE units > 0 AND metric IN (SELECT metric FROM new_rows));
        INSERT INTO causeway_changes
        SELECT * FROM (
            SELECT b.unit, b.metric, t.value AS before,
                   CASE WHEN t.value IS NULL THEN b.value WHEN b.highest THEN greatest(t.value, b.value)
                        ELSE t.value + b.value END AS after
            FROM (SELECT n.unit, n.metric, m.kind = 'proportion' AS highest,
                         CASE WHEN m.kind = 'proportion' THEN max(n.value) ELSE sum(n.value) END AS value
                  FROM new_rows n JOIN metrics m ON m.name = n.metric
                  GROUP BY n.unit, n.metric, m.kind) b
            LEFT JOIN (SELECT * FROM unit_totals WHERE known) t ON t.unit = b.unit AND t.metric = b.metric) c
        WHERE before IS DISTINCT FROM after;
    ELSE
        -- The touched keys, then their totals from what is left in outcomes.
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO causeway_touched (unit, metric) SELECT unit, metric FROM old_rows UNION SELECT unit, metric FROM new_rows;
        ELSE
            INSERT INTO causeway_touched (unit, metric) SELECT DISTINCT unit, metric FROM old_rows;
        END IF;
        ANALYZE causeway_touched;
        INSERT INTO causeway_changes
        SELECT * FROM (
            SELECT k.unit, k.metric, t.value AS before,
                   (SELECT CASE WHEN m.kind = 'proportion' THEN max(o.value) ELSE sum(o.value) END
                    FROM outcomes o WHERE o.unit = k.unit AND o.metric = k.metric) AS after
            FROM causeway_touched k LEFT JOIN metrics m ON m.name = k.metric
            LEFT JOIN unit_totals t ON t.unit = k.unit AND t.metric = k.metric) c
        WHERE before IS DISTINCT FROM after;
    END IF;
    PERFORM causeway_apply_changes();
    RETURN NULL;
END
$fn$;

-- Assignment rows in or out: their units' totals added to or taken from their arms' sums.
CREATE FUNCTION causeway_assignments_changed() RETURNS trigger LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    -- The changed rows, each with its sign.
    source text := 'causeway_assigned';
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- Inserted rows only add: the transition table is read as it is, without a copy
        -- (1,000,000 assignments: 1.1 s of upkeep instead of 1.9 s).
        PERFORM causeway_lock_sums();
        source := '(SELECT unit, experiment_id, phase, arm, assigned_at, 1 AS sign FROM new_rows)';
    ELSE
        PERFORM causeway_begin_upkeep();
        INSERT INTO causeway_assigned SELECT unit, experiment_id, phase, arm, assigned_at, -1 FROM old_rows;
        IF TG_OP = 'UPDATE' THEN
            INSERT INTO causeway_assigned SELECT unit, experiment_id, phase, arm, assigned_at, 1 FROM new_rows;
        END IF;
        ANALYZE causeway_assigned;
    END IF;
    -- EXECUTE plans each statement for this statement's rows: a cached plan would keep the row
    -- count of the first call (one assignment) for every later one (a million).
    -- Grouped by the time of assignment first (a handful of values), then by segment.
    EXECUTE format($q$
        INSERT INTO arm_units (experiment_id, phase, arm, segment, units)
        SELECT experiment_id, phase, arm, causeway_weight_segment(experiment_id, phase, assigned_at), sum(units)
        FROM (SELECT experiment_id, phase, arm, assigned_at, sum(sign) AS units FROM %s a GROUP BY 1, 2, 3, 4) g
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (experiment_id, phase, arm, segment) DO UPDATE SET units = arm_units.units + excluded.units
        $q$, source);
    EXECUTE format($q$
        WITH totals AS MATERIALIZED (
            SELECT m.unit, m.experiment_id, m.phase, m.arm, m.sign, t.metric, t.value
            FROM %s m JOIN unit_totals t ON t.unit = m.unit),
        own AS (
            INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
            SELECT experiment_id, phase, arm, metric, sum(sign), sum(sign * value), sum(sign * value * value)
            FROM totals GROUP BY 1, 2, 3, 4
            ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
            SET units = arm_metric_sums.units + excluded.units, total = arm_metric_sums.total + excluded.total,
                squares = arm_metric_sums.squares + excluded.squares)
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        SELECT p.experiment_id, p.phase, p.arm, p.metric, q.metric, sum(p.sign * p.value * q.value)
        FROM totals p JOIN totals q ON q.unit = p.unit AND q.experiment_id = p.experiment_id AND q.phase = p.phase
                                    AND q.sign = p.sign AND p.metric < q.metric
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
        SET product = arm_metric_products.product + excluded.product
        $q$, source);
    RETURN NULL;
END
$fn$;

-- Weights changed: the experiment phase's units are counted again per weight segment.
CREATE FUNCTION causeway_count_arm_units(e bigint, p integer) RETURNS void LANGUAGE sql AS $fn$
    DELETE FROM arm_units WHERE experiment_id = e AND phase = p;
    INSERT INTO arm_units (experiment_id, phase, arm, segment, units)
    SELECT experiment_id, phase, arm, causeway_weight_segment(experiment_id, phase, assigned_at), sum(units)
    FROM (SELECT experiment_id, phase, arm, assigned_at, count(*) AS units FROM assignments
          WHERE experiment_id = e AND phase = p GROUP BY 1, 2, 3, 4) g
    GROUP BY 1, 2, 3, 4;
$fn$;

CREATE FUNCTION causeway_weights_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM causeway_count_arm_units(OLD.experiment_id, OLD.phase); END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN PERFORM causeway_count_arm_units(NEW.experiment_id, NEW.phase); END IF;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION causeway_outcomes_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    TRUNCATE unit_totals, metric_units, arm_metric_sums, arm_metric_products;
    RETURN NULL;
END
$fn$;

CREATE FUNCTION causeway_assignments_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    TRUNCATE arm_units, arm_metric_sums, arm_metric_products;
    RETURN NULL;
END
$fn$;

-- Totals are sums or maxima by the metric's kind: a kind cannot change under them.
CREATE FUNCTION causeway_metric_kind_fixed() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'metric "%" is %: a metric''s kind cannot change', OLD.name, OLD.kind;
END
$fn$;

-- Everything again from outcomes and assignments.
CREATE FUNCTION causeway_rebuild_lift_sums() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    TRUNCATE unit_totals, metric_units, arm_units, arm_metric_sums, arm_metric_products;
    INSERT INTO unit_totals (unit, metric, value)
    SELECT o.unit, o.metric, CASE WHEN m.kind = 'proportion' THEN max(o.value) ELSE sum(o.value) END
    FROM outcomes o JOIN metrics m ON m.name = o.metric GROUP BY o.unit, o.metric, m.kind;
    INSERT INTO metric_units (metric, units) SELECT metric, count(*) FROM unit_totals GROUP BY metric;
    PERFORM causeway_count_arm_units(experiment_id, phase) FROM (SELECT DISTINCT experiment_id, phase FROM assignments) e;
    INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
    SELECT a.experiment_id, a.phase, a.arm, t.metric, count(*), sum(t.value), sum(t.value * t.value)
    FROM assignments a JOIN unit_totals t ON t.unit = a.unit
    GROUP BY 1, 2, 3, 4;
    INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
    SELECT a.experiment_id, a.phase, a.arm, p.metric, q.metric, sum(p.value * q.value)
    FROM assignments a JOIN unit_totals p ON p.unit = a.unit JOIN unit_totals q ON q.unit = a.unit AND p.metric < q.metric
    GROUP BY 1, 2, 3, 4, 5;
END
$fn$;

CREATE TRIGGER outcomes_inserted AFTER INSERT ON outcomes REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_outcomes_changed();
CREATE TRIGGER outcomes_updated AFTER UPDATE ON outcomes REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_outcomes_changed();
CREATE TRIGGER outcomes_deleted AFTER DELETE ON outcomes REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_outcomes_changed();
CREATE TRIGGER outcomes_truncated AFTER TRUNCATE ON outcomes
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_outcomes_truncated();
CREATE TRIGGER assignments_inserted AFTER INSERT ON assignments REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_assignments_changed();
CREATE TRIGGER assignments_updated AFTER UPDATE ON assignments REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_assignments_changed();
CREATE TRIGGER assignments_deleted AFTER DELETE ON assignments REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_assignments_changed();
CREATE TRIGGER assignments_truncated AFTER TRUNCATE ON assignments
    FOR EACH STATEMENT EXECUTE FUNCTION causeway_assignments_truncated();
CREATE TRIGGER arm_weights_changed AFTER INSERT OR UPDATE OR DELETE ON arm_weights
    FOR EACH ROW EXECUTE FUNCTION causeway_weights_changed();
CREATE TRIGGER metrics_kind_fixed BEFORE UPDATE OF kind ON metrics
    FOR EACH ROW WHEN (OLD.kind IS DISTINCT FROM NEW.kind) EXECUTE FUNCTION causeway_metric_kind_fixed();

SELECT causeway_rebuild_lift_sums();
