-- Lift sums kept by the writers, not by triggers.
--
-- Citus, the engine Causeway distributes the store with, refuses triggers on distributed tables and
-- has no transition tables. So the triggers of 0006 go, and each use case that writes outcomes,
-- assignments or arm weights keeps the sums itself, in its own transaction, by calling one of the
-- functions below on its batch:
--
--   outcomes     COPY into causeway_outcome_batch, then causeway_add_outcomes()
--   assignments  COPY into causeway_assigned, then causeway_add_assignments();
--                one unit: causeway_assign_one(…), which inserts and keeps the sums in one call
--   arm weights  causeway_weights_changed(experiment, phase) after the write
--
-- The batch tables are temporary (private to the session, emptied at commit); causeway_prepare_batch()
-- makes and empties them. Every statement is plain set-based SQL between the batch, the tables keyed
-- by unit and the small sums tables: under Citus the batch joins the distributed tables as a local
-- table (Citus plans such joins by sending the batch to the workers), and the sums tables are
-- reference tables.
--
-- Writes made outside Causeway (a user's own INSERT, UPDATE or DELETE in psql) are no longer
-- tracked: `db rebuild-sums` recomputes everything, `report lift --verify` says whether the kept
-- sums agree with the rows.

DROP TRIGGER outcomes_inserted ON outcomes;
DROP TRIGGER outcomes_updated ON outcomes;
DROP TRIGGER outcomes_deleted ON outcomes;
DROP TRIGGER outcomes_truncated ON outcomes;
DROP TRIGGER assignments_inserted ON assignments;
DROP TRIGGER assignments_updated ON assignments;
DROP TRIGGER assignments_deleted ON assignments;
DROP TRIGGER assignments_truncated ON assignments;
DROP TRIGGER arm_weights_changed ON arm_weights;
-- A metric's kind never changes through Causeway; the catalog tables carry no triggers either.
DROP TRIGGER metrics_kind_fixed ON metrics;
DROP FUNCTION causeway_outcomes_changed();
DROP FUNCTION causeway_assignments_changed();
DROP FUNCTION causeway_weights_changed();
DROP FUNCTION causeway_outcomes_truncated();
DROP FUNCTION causeway_assignments_truncated();
DROP FUNCTION causeway_metric_kind_fixed();
DROP FUNCTION causeway_begin_upkeep();

-- No foreign key per outcome row, as for assignments: its check cost 5 s of an import of 1,000,000
-- rows (12.6 s with it, 5.9 s without, measured in psql), rows are written only by the outcome
-- writers, in the transaction that creates the metric, and metrics are never deleted.
ALTER TABLE outcomes DROP CONSTRAINT outcomes_metric_fkey;

-- Makes the session's batch tables when missing and empties them (DELETE while small: TRUNCATE
-- makes new files, a millisecond per call; TRUNCATE when large).
CREATE FUNCTION causeway_prepare_batch() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    IF to_regclass('pg_temp.causeway_outcome_batch') IS NULL THEN
        -- Outcome rows to insert.
        CREATE TEMP TABLE causeway_outcome_batch (unit text NOT NULL, metric text NOT NULL, value float8 NOT NULL,
                                                  ts timestamptz, region text) ON COMMIT DELETE ROWS;
        -- Assignment rows to insert; assigned_at defaults to the transaction's start, as in assignments.
        CREATE TEMP TABLE causeway_assigned (unit text NOT NULL, experiment_id bigint NOT NULL, phase integer NOT NULL,
                                             arm text, held_out boolean NOT NULL DEFAULT false,
                                             assigned_at timestamptz NOT NULL DEFAULT now()) ON COMMIT DELETE ROWS;
        -- Changed totals (NULL: no total).
        CREATE TEMP TABLE causeway_changes (unit text, metric text, before float8, after float8) ON COMMIT DELETE ROWS;
    END IF;
    IF pg_relation_size('causeway_outcome_batch') + pg_relation_size('causeway_assigned') + pg_relation_size('causeway_changes')
       > 8 * 1024 * 1024 THEN
        TRUNCATE causeway_outcome_batch, causeway_assigned, causeway_changes;
    ELSE
        DELETE FROM causeway_outcome_batch;
        DELETE FROM causeway_assigned;
        DELETE FROM causeway_changes;
    END IF;
END
$fn$;

-- Inserts causeway_outcome_batch into outcomes and adds it to the totals and the sums of every
-- experiment its units are assigned in. Returns the number of (unit, metric) totals the batch
-- touched: its units, for one metric.
CREATE FUNCTION causeway_add_outcomes() RETURNS bigint LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    known boolean;
    batch_units bigint;
BEGIN
    ANALYZE causeway_outcome_batch;
    INSERT INTO outcomes (unit, metric, value, ts, region) SELECT unit, metric, value, ts, region FROM causeway_outcome_batch;
    -- From here on, nothing else changes the sums until commit; each statement below takes a fresh
    -- snapshot (READ COMMITTED), so it sees every write committed before the lock was granted.
    PERFORM causeway_lock_sums();
    -- A metric's first import has no earlier totals to read: skip the join (a fifth of its time).
    known := EXISTS (SELECT 1 FROM metric_units WHERE units > 0 AND metric IN (SELECT DISTINCT metric FROM causeway_outcome_batch));
    -- EXECUTE plans each statement for this batch (PL/pgSQL would keep a plan for every later one).
    EXECUTE format($q$
        WITH b AS MATERIALIZED (
            SELECT n.unit, n.metric, m.kind = 'proportion' AS highest,
                   CASE WHEN m.kind = 'proportion' THEN max(n.value) ELSE sum(n.value) END AS value
            FROM causeway_outcome_batch n JOIN metrics m ON m.name = n.metric
            GROUP BY n.unit, n.metric, m.kind),
        changed AS (
            INSERT INTO causeway_changes
            SELECT * FROM (
                SELECT b.unit, b.metric, t.value AS before,
                       CASE WHEN t.value IS NULL THEN b.value WHEN b.highest THEN greatest(t.value, b.value)
                            ELSE t.value + b.value END AS after
                FROM b LEFT JOIN (SELECT * FROM unit_totals WHERE %L::boolean) t ON t.unit = b.unit AND t.metric = b.metric) c
            WHERE before IS DISTINCT FROM after)
        SELECT count(*) FROM b $q$, known) INTO batch_units;
    PERFORM causeway_apply_changes();
    RETURN batch_units;
END
$fn$;

-- Adds the rows of causeway_assigned (sign 1) or takes them away (sign -1) from their arms' counts
-- and sums, under the lock.
CREATE FUNCTION causeway_count_assigned(sign integer) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    ANALYZE causeway_assigned;
    -- Grouped by the time of assignment first (a handful of values), then by weight segment.
    -- EXECUTE plans each statement for this batch (PL/pgSQL would keep a plan for every later one).
    EXECUTE format($q$
        INSERT INTO arm_units (experiment_id, phase, arm, segment, units)
        SELECT experiment_id, phase, arm, causeway_weight_segment(experiment_id, phase, assigned_at), sum(units) * %1$s
        FROM (SELECT experiment_id, phase, arm, assigned_at, count(*) AS units FROM causeway_assigned GROUP BY 1, 2, 3, 4) g
        GROUP BY 1, 2, 3, 4
        ON CONFLICT (experiment_id, phase, arm, segment) DO UPDATE SET units = arm_units.units + excluded.units $q$, sign);
    -- Units without any total add nothing: most assignments come before outcomes.
    IF NOT EXISTS (SELECT 1 FROM unit_totals LIMIT 1) THEN RETURN; END IF;
    EXECUTE format($q$
        WITH totals AS MATERIALIZED (
            SELECT m.unit, m.experiment_id, m.phase, m.arm, t.metric, t.value
            FROM causeway_assigned m JOIN unit_totals t ON t.unit = m.unit),
        own AS (
            INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
            SELECT experiment_id, phase, arm, metric, count(*) * %1$s, sum(value) * %1$s, sum(value * value) * %1$s
            FROM totals GROUP BY 1, 2, 3, 4
            ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
            SET units = arm_metric_sums.units + excluded.units, total = arm_metric_sums.total + excluded.total,
                squares = arm_metric_sums.squares + excluded.squares)
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        SELECT p.experiment_id, p.phase, p.arm, p.metric, q.metric, sum(p.value * q.value) * %1$s
        FROM totals p JOIN totals q ON q.unit = p.unit AND q.experiment_id = p.experiment_id AND q.phase = p.phase AND p.metric < q.metric
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
        SET product = arm_metric_products.product + excluded.product $q$, sign);
END
$fn$;

-- Inserts causeway_assigned into assignments (in key order: the primary key's B-tree appends
-- instead of splitting pages) and adds it to the sums.
CREATE FUNCTION causeway_add_assignments() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO assignments (unit, experiment_id, phase, arm, held_out, assigned_at)
    SELECT unit, experiment_id, phase, arm, held_out, assigned_at FROM causeway_assigned ORDER BY unit;
    PERFORM causeway_count_assigned(1);
END
$fn$;

-- One unit's assignment, for request-time callers: inserted unless the unit already has one for the
-- phase, at the clock (the weights in force are the ones drawn with), and added to the sums. True
-- when this call stored it.
CREATE FUNCTION causeway_assign_one(u text, e bigint, p integer, a text) RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
    at timestamptz;
BEGIN
    INSERT INTO assignments (unit, experiment_id, phase, arm, held_out, assigned_at)
    VALUES (u, e, p, a, a IS NULL, clock_timestamp())
    ON CONFLICT DO NOTHING
    RETURNING assigned_at INTO at;
    IF at IS NULL THEN RETURN false; END IF;
    PERFORM causeway_lock_sums();
    INSERT INTO arm_units (experiment_id, phase, arm, segment, units)
    VALUES (e, p, a, causeway_weight_segment(e, p, at), 1)
    ON CONFLICT (experiment_id, phase, arm, segment) DO UPDATE SET units = arm_units.units + 1;
    INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
    SELECT e, p, a, metric, 1, value, value * value FROM unit_totals WHERE unit = u
    ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
    SET units = arm_metric_sums.units + 1, total = arm_metric_sums.total + excluded.total,
        squares = arm_metric_sums.squares + excluded.squares;
    INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
    SELECT e, p, a, x.metric, y.metric, x.value * y.value
    FROM unit_totals x JOIN unit_totals y ON y.unit = x.unit AND x.metric < y.metric WHERE x.unit = u
    ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
    SET product = arm_metric_products.product + excluded.product;
    RETURN true;
END
$fn$;

-- Weights changed: the experiment phase's units are counted again per weight segment.
CREATE FUNCTION causeway_weights_changed(e bigint, p integer) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    PERFORM causeway_count_arm_units(e, p);
END
$fn$;
