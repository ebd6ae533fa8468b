-- Bulk assignment at the speed of COPY.
--
-- assignments carried a B-tree on (experiment_id, phase, arm) besides its primary key. Measured with
-- psql on this project's machine kind, COPY of 1,000,000 new units into a table of 2,000,000
-- (sorted by unit): heap alone 0.60 s, with the primary key 1.76 s, with the primary key and that
-- B-tree 2.65 s; with the primary key and a BRIN index on (experiment_id, phase) instead, 1.94 s.
-- Every reader of an experiment's assignments reads all of them (reports, exports, the graph and
-- uplift readers), a block-range scan serves those as well as the B-tree did when an experiment's
-- units were assigned together, and a full scan when not: a per-shard scan either way under Citus.
-- Single units are found by the primary key, which leads with the unit.
DROP INDEX assignments_by_experiment;
CREATE INDEX assignments_by_experiment ON assignments USING brin (experiment_id, phase);

-- Adds counted new assignments to their arms' unit counts: `arms[i]` gained `counts[i]` units and
-- the holdout `held_out` units, all assigned at `at` (negative counts take units away). For a bulk
-- writer that counted its rows as it sent them; the metric sums are kept apart from these counts.
CREATE FUNCTION causeway_count_arms(e bigint, p integer, at timestamptz, arms text[], counts bigint[], held_out bigint)
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM causeway_lock_sums();
    INSERT INTO arm_units (experiment_id, phase, arm, segment, units)
    SELECT e, p, x.arm, causeway_weight_segment(e, p, at), x.units
    FROM (SELECT * FROM unnest(arms, counts) UNION ALL SELECT NULL, held_out) AS x(arm, units) WHERE x.units <> 0
    ON CONFLICT (experiment_id, phase, arm, segment) DO UPDATE SET units = arm_units.units + excluded.units;
END
$fn$;
