-- Allocation runs: each `allocate` without --dry-run stores its certificate and every decision.

CREATE TABLE allocation_runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    policy      text NOT NULL,
    source      text NOT NULL,               -- "model NAME" or the scores file
    units       integer NOT NULL,
    treated     integer NOT NULL,
    spend       double precision NOT NULL,
    value       double precision NOT NULL,
    lp_bound    double precision NOT NULL,
    gap         double precision NOT NULL CHECK (gap >= 0),
    certificate jsonb NOT NULL,              -- method, iterations, seconds, multipliers
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per unit that receives an arm (units left out get no row). No per-row foreign key, as for
-- assignments: rows are written only by `allocate`, in the transaction that creates the run.
CREATE TABLE allocations (
    unit   text NOT NULL,
    run_id bigint NOT NULL,
    arm    text NOT NULL,
    cost   double precision NOT NULL,
    value  double precision NOT NULL,
    PRIMARY KEY (unit, run_id)
);
CREATE INDEX allocations_by_run ON allocations (run_id);
