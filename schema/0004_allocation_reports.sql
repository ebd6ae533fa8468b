-- Allocation reports and policy experiments.

-- The predicted outcome under the arm (for a binary outcome, the conversion probability if
-- treated), written by `model score` when the model keeps outcome models (S, T, X; not DR). The
-- allocation report's "highest predicted response" baseline ranks by it.
ALTER TABLE scores ADD COLUMN response double precision;

-- The report `allocate` printed (the policy's and the baselines' spend, conversions, value and
-- ROI at the same budget), and the experiment a run was turned into with --experiment.
ALTER TABLE allocation_runs ADD COLUMN report jsonb;
ALTER TABLE allocation_runs ADD COLUMN experiment text;
