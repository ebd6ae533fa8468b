-- Units assigned after they have totals (outcomes came first): their totals join the batch in a
-- session table with statistics, from which the arm sums and the cross-products are grouped.
--
-- 0007 read them through a CTE, whose estimate was every total of every metric: for 2,400,000 new
-- units against 12,000,000 totals of three metrics the planner sorted 11,000,000 estimated rows to
-- disk for a merge self-join (12.3 s of a 19 s assignment). With the rows counted, the self-join is
-- hashed, and it is skipped when only one metric has totals.
CREATE OR REPLACE FUNCTION causeway_count_assigned(sign integer) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    ANALYZE causeway_assigned;
    -- The arms' counts, per experiment, phase and time of assignment (a handful of values).
    PERFORM causeway_count_arms(experiment_id, phase, assigned_at, arms, counts, held_out)
    FROM (SELECT experiment_id, phase, assigned_at,
                 coalesce(array_agg(arm) FILTER (WHERE arm IS NOT NULL), '{}') AS arms,
                 coalesce(array_agg(units * sign) FILTER (WHERE arm IS NOT NULL), '{}') AS counts,
                 coalesce(sum(units * sign) FILTER (WHERE arm IS NULL), 0)::bigint AS held_out
          FROM (SELECT experiment_id, phase, assigned_at, arm, count(*) AS units FROM causeway_assigned GROUP BY 1, 2, 3, 4) a
          GROUP BY 1, 2, 3) g;
    -- Units without any total add nothing: most assignments come before outcomes.
    IF NOT EXISTS (SELECT 1 FROM unit_totals LIMIT 1) THEN RETURN; END IF;
    IF to_regclass('pg_temp.causeway_assigned_totals') IS NULL THEN
        CREATE TEMP TABLE causeway_assigned_totals (unit text, experiment_id bigint, phase integer, arm text, metric text, value float8)
            ON COMMIT DELETE ROWS;
    END IF;
    TRUNCATE causeway_assigned_totals;
    INSERT INTO causeway_assigned_totals
    SELECT m.unit, m.experiment_id, m.phase, m.arm, t.metric, t.value FROM causeway_assigned m JOIN unit_totals t ON t.unit = m.unit;
    ANALYZE causeway_assigned_totals;
    EXECUTE format($q$
        INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
        SELECT experiment_id, phase, arm, metric, count(*) * %1$s, sum(value) * %1$s, sum(value * value) * %1$s
        FROM causeway_assigned_totals GROUP BY 1, 2, 3, 4
        ON CONFLICT (experiment_id, phase, arm, metric) DO UPDATE
        SET units = arm_metric_sums.units + excluded.units, total = arm_metric_sums.total + excluded.total,
            squares = arm_metric_sums.squares + excluded.squares $q$, sign);
    IF (SELECT count(DISTINCT metric) FROM causeway_assigned_totals) < 2 THEN RETURN; END IF;
    EXECUTE format($q$
        INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
        SELECT p.experiment_id, p.phase, p.arm, p.metric, q.metric, sum(p.value * q.value) * %1$s
        FROM causeway_assigned_totals p
        JOIN causeway_assigned_totals q ON q.unit = p.unit AND q.experiment_id = p.experiment_id AND q.phase = p.phase AND p.metric < q.metric
        GROUP BY 1, 2, 3, 4, 5
        ON CONFLICT (experiment_id, phase, arm, metric, other) DO UPDATE
        SET product = arm_metric_products.product + excluded.product $q$, sign);
END
$fn$;

-- An experiment phase's sums and cross-products computed again from its assignments and the units'
-- totals, replacing what was kept: for a bulk assignment that is a large part of the phase (its
-- first, typically), one plain SELECT, which PostgreSQL may run in parallel, rather than the batch
-- joined with every total (1,000,000 new units against 11,000,000 totals of two metrics: 7.5 s of
-- upkeep that way). Each unit's totals are paired with themselves and with each other: a metric
-- paired with itself gives its units, total and squares, two metrics their cross-product. The
-- arms' unit counts are kept by the caller.
CREATE FUNCTION causeway_sum_phase(e bigint, p integer) RETURNS void LANGUAGE plpgsql
SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    each_arm text[];
    each_metric text[];
    each_other text[];
    each_units bigint[];
    each_total float8[];
    each_product float8[];
BEGIN
    PERFORM causeway_lock_sums();
    DELETE FROM arm_metric_sums WHERE experiment_id = e AND phase = p;
    DELETE FROM arm_metric_products WHERE experiment_id = e AND phase = p;
    EXECUTE format($q$
        SELECT array_agg(arm), array_agg(metric), array_agg(other), array_agg(units), array_agg(total), array_agg(product)
        FROM (SELECT a.arm, x.metric, y.metric AS other, count(*) AS units, sum(x.value) AS total, sum(x.value * y.value) AS product
              FROM assignments a JOIN unit_totals x ON x.unit = a.unit JOIN unit_totals y ON y.unit = a.unit AND x.metric <= y.metric
              WHERE a.experiment_id = %1$L AND a.phase = %2$L
              GROUP BY 1, 2, 3) s $q$, e, p)
    INTO each_arm, each_metric, each_other, each_units, each_total, each_product;
    INSERT INTO arm_metric_sums (experiment_id, phase, arm, metric, units, total, squares)
    SELECT e, p, x.arm, x.metric, x.units, x.total, x.product
    FROM unnest(each_arm, each_metric, each_other, each_units, each_total, each_product) AS x(arm, metric, other, units, total, product)
    WHERE x.metric = x.other;
    INSERT INTO arm_metric_products (experiment_id, phase, arm, metric, other, product)
    SELECT e, p, x.arm, x.metric, x.other, x.product
    FROM unnest(each_arm, each_metric, each_other, each_units, each_total, each_product) AS x(arm, metric, other, units, total, product)
    WHERE x.metric < x.other;
END
$fn$;
